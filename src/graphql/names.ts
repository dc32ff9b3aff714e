/**
 * Naming proto fields the way a GraphQL caller wrote them, so a
 * BAD_USER_INPUT error points at the caller's argument (`input.collectionNames[0]`)
 * and not at the upstream's request field (`collection_names[0]`).
 */

/** `collection_names[2]` -> `collectionNames[2]`. */
export function camelCase (protoField: string): string {
  return protoField.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase())
}

/** Name fields as members of a mutation's `input` argument. */
export function inputName (protoField: string): string {
  return `input.${camelCase(protoField)}`
}

/** Name fields as a field's own arguments, renaming some (`{ service_id: 'id' }`), camelCasing the rest. */
export function argName (renames: Record<string, string>): (protoField: string) => string {
  return (protoField) => {
    const base = /^[a-z0-9_]+/.exec(protoField)?.[0] ?? protoField
    const renamed = renames[base]
    return renamed === undefined ? camelCase(protoField) : renamed + protoField.slice(base.length)
  }
}
