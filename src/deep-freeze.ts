/**
 * Freeze a value and everything it reaches (symbol-keyed properties too),
 * so what is shared between requests cannot be changed by one of them: in
 * strict-mode code, which all of this is, a write throws a TypeError.
 * An object frozen already is taken as frozen through, which also ends
 * cycles (a backup's service holds that backup).
 */
export function deepFreeze<T> (value: T): T {
  if (typeof value !== 'object' || value === null || Object.isFrozen(value)) return value
  Object.freeze(value)
  for (const key of Reflect.ownKeys(value)) deepFreeze((value as Record<PropertyKey, unknown>)[key])
  return value
}
