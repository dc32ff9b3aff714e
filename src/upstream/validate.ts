/**
 * What the gateway can judge about a request before it reaches the upstream,
 * per method, from the reference's tables: required fields, UUID ids, a
 * five-field cron, a non-empty collection list, retention of at least 1;
 * and, for every string, well-formed Unicode (proto3 strings are UTF-8).
 * Plain functions over proto-named requests, shared by GraphQL and REST, so
 * both reject the same input with the same words and never spend an
 * upstream call on it. Service ids and the other names are free-form: only
 * required, at most MAX_ID_LENGTH long as every string is. What a create
 * names is also plain (no control, line-separator, bidi or invisible
 * characters, no whitespace at either end: plainNameAs), and its backup,
 * database and collection names at most MAX_NAME_LENGTH long
 * (createdNameAs). A request names at most MAX_COLLECTION_NAMES
 * collections. The value checks they are built from
 * (ids, the cron reading, RFC 3339 timestamps) are exported for lookups
 * that are no method's request, and the simulator reads UUIDs and crons
 * with the same functions.
 */
import { Cron } from 'croner'
import { errors } from '../errors.js'
import type { MethodName } from './contract.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** True for the textual UUID form (any version), either case. */
export function isUuid (value: string): boolean {
  return UUID.test(value)
}

/** One item of a field's comma list whose values match `value`: `*`, `v` or `v-v`, the first and last optionally stepped (`/n`). */
function cronItem (value: string): RegExp {
  const v = `(?:${value})`
  return new RegExp(`^(?:\\*(?:/\\d+)?|${v}(?:-${v}(?:/\\d+)?)?)$`, 'i')
}

/**
 * What one field of a classic cron takes: a comma list of items, each `*`,
 * a value or a range `a-b`, where `*` and a range may take a step `/n`. A
 * value is a number; the month and day-of-week fields also take the
 * three-letter English names (JAN-DEC, SUN-SAT, any case), which classic
 * crons (Vixie cron, cronie, Kubernetes) read too. Croner reads more:
 * `L`, `W`, `#`, `?`, a `+` for AND-ed day fields, and a number stepped
 * (`5/15`, which it refuses anyway); none of it is classic cron.
 */
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']
interface CronField { name: string, item: RegExp, min: number, max: number, names?: readonly string[], first?: number }
const CRON_FIELDS: readonly CronField[] = [
  { name: 'minute', item: cronItem('\\d+'), min: 0, max: 59 },
  { name: 'hour', item: cronItem('\\d+'), min: 0, max: 23 },
  { name: 'day-of-month', item: cronItem('\\d+'), min: 1, max: 31 },
  { name: 'month', item: cronItem(`\\d+|${MONTHS.join('|')}`), min: 1, max: 12, names: MONTHS, first: 1 },
  // 0 and 7 are both Sunday.
  { name: 'day-of-week', item: cronItem(`\\d+|${DAYS.join('|')}`), min: 0, max: 7, names: DAYS, first: 0 }
]

/**
 * The values, ranges and steps of one classic field, judged in the
 * caller's own terms. Croner counts months and days of the month from 0
 * inside, and its messages quote that count: `0 0 * 13 *` was "Invalid
 * value for month: 12", a value that is fine.
 */
function cronFieldProblem (field: CronField, text: string): string | undefined {
  const value = (v: string): number => {
    const named = field.names?.indexOf(v.toLowerCase()) ?? -1
    return named === -1 ? Number(v) : named + (field.first ?? 0)
  }
  const range = `${field.min}-${field.max}`
  for (const part of text.split(',')) {
    const [span = '', step] = part.split('/')
    if (step !== undefined && Number(step) === 0) return `${field.name} "${part}" steps by 0`
    if (step !== undefined && Number(step) > field.max) return `${field.name} "${part}" steps by more than ${field.max}`
    if (span === '*') continue
    const [from = '', to] = span.split('-')
    for (const v of to === undefined ? [from] : [from, to]) {
      const n = value(v)
      if (n < field.min || n > field.max) return `${field.name} ${v} is out of range ${range}`
    }
    // SUN ends a range as 7 (FRI-SUN), as croner and cronie read it; a number 0 does not.
    const end = to !== undefined && field.names === DAYS && to.toLowerCase() === 'sun' ? 7 : value(to ?? from)
    if (to !== undefined && value(from) > end) return `${field.name} range "${span}" runs backwards; write the smaller value first`
  }
  return undefined
}

/**
 * Compile a cron expression the way VBase runs it: classic cron's five
 * fields (minute hour day-of-month month day-of-week; see CRON_FIELDS for
 * what each takes), evaluated in UTC, the day fields OR-ed as classic cron
 * does when both are restricted (neither begins with `*`). Croner alone would also take a seconds
 * field, `@daily` and its own extensions; the reference speaks of a
 * five-field cron. Croner judges the numbers (ranges, steps). The simulator
 * validates and fires with this same function, so `nextRuns` shows the runs
 * it makes. Throws RangeError.
 */
export function compileCron (expr: string): Cron {
  const fields = expr.trim().split(/\s+/)
  if (fields.length !== 5) throw new RangeError(`expected 5 fields, got ${expr.trim() === '' ? 0 : fields.length}`)
  fields.forEach((text, i) => {
    const field = CRON_FIELDS[i] as CronField
    if (!text.split(',').every((part) => field.item.test(part))) {
      throw new RangeError(`${field.name} "${text}" is not classic cron: a field takes numbers, *, ranges (1-5), lists (1,15) and steps (*/10, 0-30/10); ` +
        'month and day-of-week also take names (JAN, MON)')
    }
    const problem = cronFieldProblem(field, text)
    if (problem !== undefined) throw new RangeError(problem)
  })
  // Classic cron (Vixie, cronie) OR-s the day fields only when neither begins with `*`: a field
  // such as `*/2` counts as unrestricted, and the other then decides alone with it (AND). croner
  // treats only a bare `*` so, and OR-ed `0 0 */2 * 1` into every other day and every Monday.
  const [dom = '', dow = ''] = [fields[2], fields[4]]
  return new Cron(expr.trim(), { timezone: 'UTC', paused: true, mode: '5-part', domAndDow: dom.startsWith('*') || dow.startsWith('*') })
}

/** 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: google.protobuf.Timestamp's range, in epoch seconds. */
const TIMESTAMP_MIN_SECONDS = -62_135_596_800
const TIMESTAMP_MAX_SECONDS = 253_402_300_799

/** True when `seconds` since the epoch is inside google.protobuf.Timestamp's range (years 0001-9999). */
export function isTimestampInRange (seconds: number): boolean {
  return Number.isFinite(seconds) && seconds >= TIMESTAMP_MIN_SECONDS && seconds <= TIMESTAMP_MAX_SECONDS
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:Z|([+-])(\d{2}):(\d{2}))$/i

/**
 * Read an RFC 3339 date-time as a google.protobuf.Timestamp, the way protojson
 * does: undefined unless every field names a real instant (`2026-02-30` or
 * `24:00:00` do not; `Date.parse` would roll them over) inside years
 * 0001-9999. Shared by the GraphQL DateTime scalar and REST's JSON mapping.
 */
export function parseTimestamp (text: string): { seconds: number, nanos: number } | undefined {
  const m = RFC3339.exec(text)
  if (m === null) return undefined
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number]
  const offsetHours = Number(m[9] ?? 0)
  const offsetMinutes = Number(m[10] ?? 0)
  if (offsetHours > 23 || offsetMinutes > 59) return undefined
  // setUTCFullYear, unlike Date.UTC, takes years 0-99 as they are.
  const local = new Date(0)
  local.setUTCFullYear(year, month - 1, day)
  local.setUTCHours(hour, minute, second, 0)
  const roundTrips = local.getUTCFullYear() === year && local.getUTCMonth() === month - 1 && local.getUTCDate() === day &&
    local.getUTCHours() === hour && local.getUTCMinutes() === minute && local.getUTCSeconds() === second
  if (!roundTrips) return undefined
  const sign = m[8] === '-' ? -1 : 1
  const seconds = local.getTime() / 1000 - sign * (offsetHours * 3600 + offsetMinutes * 60)
  if (!isTimestampInRange(seconds)) return undefined
  return { seconds, nanos: Number((m[7] ?? '').padEnd(9, '0')) }
}

/** Options of `validateRequest`. */
export interface ValidateOptions {
  /**
   * How to name a field to the caller, given its proto name (`collection_names`
   * or `collection_names[1]`). REST keeps the proto name (the default);
   * GraphQL names its own argument, e.g. `input.collectionNames`.
   */
  name?: (protoField: string) => string
}

type Request = Record<string, unknown>
type Check = (req: Request, name: (field: string) => string) => void

function failAs (shown: string, problem: string): never {
  throw new errors.InvalidArgument(`${shown} ${problem}`, shown)
}

function fail (name: (field: string) => string, field: string, problem: string): never {
  return failAs(name(field), problem)
}

function present (value: unknown): boolean {
  return value !== undefined && value !== null
}

/**
 * A lone UTF-16 surrogate. JSON may spell one (`"\ud800"`), but it is no
 * character: UTF-8 cannot encode it, so it is no proto3 string. protobufjs
 * would write invalid bytes that the upstream reads as U+FFFD, and a backup
 * would be made under a name nobody gave. With the `u` flag, a surrogate
 * that is half of a pair is read with its pair and does not match.
 */
const LONE_SURROGATE = /\p{Cs}/u

function wellFormedAs (value: unknown, shown: string): void {
  if (typeof value === 'string' && LONE_SURROGATE.test(value)) {
    failAs(shown, 'must be well-formed Unicode text: it holds a lone UTF-16 surrogate (such as \\ud800), which has no UTF-8 form')
  }
}

/**
 * Every string of a request, and every string in its lists, is at most
 * MAX_ID_LENGTH long (what a REST path takes; names made elsewhere up to it
 * stay reachable) and well-formed Unicode. VBase may quote a name in its
 * error (NOT_FOUND for a backup to restore), in a trailer on the channel
 * every caller shares: a security QA pass's 100 KB names there made other
 * callers' calls hang or fail.
 */
function wellFormed (req: Request, name: (f: string) => string): void {
  const each = (value: unknown, shown: () => string): void => {
    if (typeof value === 'string' && value.length > MAX_ID_LENGTH) failAs(shown(), `must be at most ${MAX_ID_LENGTH} characters long`)
    wellFormedAs(value, shown())
  }
  for (const [field, value] of Object.entries(req)) {
    if (Array.isArray(value)) onceFor(value, `wellFormed ${field}`, name, () => { value.forEach((item, i) => { each(item, () => name(`${field}[${i}]`)) }) })
    else each(value, () => name(field))
  }
}

/** The verdicts on lists already judged: by list, then by check and renamer (a thrown error, or null). */
const judged = new WeakMap<readonly unknown[], Map<string, Map<(f: string) => string, Error | null>>>()

/**
 * Run `check` over `list` once for each check and renamer, and give the same
 * verdict after. GraphQL hands one variable's list to every alias that uses
 * it: ten operations of fifty aliased creates sharing 10,000 collection
 * names had each alias go through all of them (6 s, a security QA pass).
 */
function onceFor (list: readonly unknown[], tag: string, name: (f: string) => string, check: () => void): void {
  let byTag = judged.get(list)
  if (byTag === undefined) judged.set(list, byTag = new Map())
  let byName = byTag.get(tag)
  if (byName === undefined) byTag.set(tag, byName = new Map())
  let verdict = byName.get(name)
  if (verdict === undefined) {
    try {
      check()
      verdict = null
    } catch (err) {
      verdict = err as Error
    }
    byName.set(name, verdict)
  }
  if (verdict !== null) throw verdict
}

/** A non-blank, well-formed string; `shown` is how the caller named the field. */
function requiredAs (value: unknown, shown: string): void {
  if (!present(value) || (typeof value === 'string' && value.trim() === '')) failAs(shown, 'is required')
  if (typeof value !== 'string') failAs(shown, 'must be a string')
  wellFormedAs(value, shown)
}

/**
 * Characters no id or name may hold, each group a class the caller is told
 * of. Control characters (Cc: C0 with NUL, tab, CR and LF; DEL; C1 with NEL)
 * and the two line breaks that are not one (U+2028, U+2029) cut or forge
 * lines in logs, CSV exports and terminals downstream; NUL ends a C string
 * early. Bidi controls (U+061C, U+200E, U+200F, U+202A-U+202E,
 * U+2066-U+2069) reorder how a name is shown, so one backup reads as
 * another ("Trojan Source", CVE-2021-42574). Invisible characters (the
 * other format characters, Cf: zero-width space U+200B, word joiner U+2060,
 * soft hyphen U+00AD, U+FEFF, tag characters; and the Hangul fillers
 * U+115F, U+1160, U+3164, U+FFA0) make `svc\u200b` look like `svc`. The
 * zero-width joiner and non-joiner (U+200D, U+200C) stay inside a name:
 * emoji sequences and Persian or Indic text need them. The contract is
 * silent; no service, database, collection or backup needs any of these in
 * its name. A security QA pass saw all of them accepted and forwarded.
 */
const NOT_IN_NAMES = /(?<control>\p{Cc})|(?<separator>[\p{Zl}\p{Zp}])|(?<bidi>\p{Bidi_Control})|(?<invisible>(?![\u200c\u200d])\p{Cf}|[\u115f\u1160\u3164\uffa0])/u
const NOT_IN_NAMES_WORDS: Readonly<Record<string, string>> = {
  control: 'control characters',
  separator: 'line or paragraph separators',
  bidi: 'bidi control characters',
  invisible: 'invisible characters'
}

/** What `trim` leaves at either end of a name that no one sees there either: the joiners. */
const INVISIBLE_AT_EDGE = /^[\u200c\u200d]|[\u200c\u200d]$/

/** `U+0000` for the character at `index`, and where it is (in UTF-16 code units, as lengths are counted). */
function foundAt (value: string, index: number): string {
  const code = (value.codePointAt(index) as number).toString(16).toUpperCase().padStart(4, '0')
  return `(found U+${code} at index ${index})`
}

/**
 * An id or name is plain text: none of NOT_IN_NAMES, and no whitespace (as
 * `trim` reads it, U+00A0 and U+3000 included) at either end, where nobody
 * sees it and `svc` and `svc ` would be two services. Inner spaces stay:
 * service ids and names are free-form. As MAX_NAME_LENGTH, it holds for
 * what a create names (CreateBackup, CreateBackupPolicy), not for names
 * only passed along (lists, lookups, restore, delete): one another VBase
 * client made stays within the gateway's reach, to be read and deleted.
 * Throws VBGW_INVALID_ARGUMENT naming the class of the first character at
 * fault and where it is.
 */
function plainNameAs (value: string, shown: string): void {
  const bad = NOT_IN_NAMES.exec(value)
  if (bad !== null) {
    const group = Object.keys(NOT_IN_NAMES_WORDS).find((g) => bad.groups?.[g] !== undefined) as string
    failAs(shown, `must not contain ${NOT_IN_NAMES_WORDS[group] as string} ${foundAt(value, bad.index)}`)
  }
  if (value.trim() !== value) {
    failAs(shown, `must not begin or end with whitespace ${foundAt(value, /^\s/.test(value) ? 0 : value.length - 1)}`)
  }
  const edge = INVISIBLE_AT_EDGE.exec(value)
  if (edge !== null) failAs(shown, `must not begin or end with invisible characters ${foundAt(value, edge.index)}`)
}

/**
 * The service a create names: required and plain, and at most
 * MAX_ID_LENGTH characters once percent-encoded, as a REST path holds it.
 * The simulator, like a VBase that registers services on first use, then
 * holds a service by that id, and REST must reach it: an id of 2304
 * characters outside ASCII took 20736 percent-encoded, past the header
 * limit (431), so its backups could be deleted over GraphQL only. An
 * existing service's id is not the gateway's to shorten: ASCII ids stay
 * free up to MAX_ID_LENGTH.
 */
function createdServiceAs (value: unknown, shown: string): void {
  requiredNameAs(value, shown)
  const encoded = encodeURIComponent(value as string).length
  if (encoded > MAX_ID_LENGTH) {
    failAs(shown, `must be at most ${MAX_ID_LENGTH} characters long once percent-encoded, as a REST path holds it (this one takes ${encoded})`)
  }
}

/** A required id or name: non-blank, well-formed, plain (plainNameAs). */
function requiredNameAs (value: unknown, shown: string): void {
  requiredAs(value, shown)
  plainNameAs(value as string, shown)
}

/**
 * Longest name a create may give (the backup's, and the database and
 * collections it names), in UTF-16 code units (a string's
 * `length`; a character outside the BMP counts two). The contract sets none;
 * 256 is above the usual caps on such names (DNS and Kubernetes names 253,
 * MongoDB namespaces and Milvus collection names 255). It keeps every name
 * made through the gateway within what its REST paths take: src/app.ts lets
 * a path value this long reach the routes even percent-encoded, so what was
 * created through REST can be deleted through it. A database or collection
 * name a create sends is held to it too: a backup carries them in every
 * list it appears in, and one collection name could otherwise be most of a
 * megabyte, answered again in each list. Names only passed along
 * (existing services, backups to restore or delete, databases, collections)
 * are held only to MAX_ID_LENGTH: another VBase client may have made them
 * longer than this.
 */
export const MAX_NAME_LENGTH = 256

/**
 * Longest id or name a caller may look something up by, in characters
 * (UTF-16 code units): a backup name at MAX_NAME_LENGTH still
 * percent-encoded in the worst case (every unit 3 UTF-8 bytes, each written
 * `%XX`). REST's router matches path values up to it (src/app.ts), so
 * whatever was created through the gateway can be deleted through REST;
 * GraphQL takes looked-up ids up to it (checkIdLength), so neither surface
 * echoes an unbounded id. Names made by other VBase clients, longer than a
 * create here allows, stay reachable.
 */
export const MAX_ID_LENGTH = MAX_NAME_LENGTH * 3 * 3

/** Refuse an id or name over MAX_ID_LENGTH; checked first, before anything reads the whole string. */
export function checkIdLength (value: string, shown: string): void {
  if (value.length > MAX_ID_LENGTH) failAs(shown, `must be at most ${MAX_ID_LENGTH} characters long`)
}

function boundedAs (value: string, shown: string): void {
  if (value.length > MAX_NAME_LENGTH) failAs(shown, `must be at most ${MAX_NAME_LENGTH} characters long`)
}

/** A name a create gives a backup, or its database or a collection: at most MAX_NAME_LENGTH long, and plain. */
function createdNameAs (value: string, shown: string): void {
  boundedAs(value, shown)
  plainNameAs(value, shown)
}

function uuidAs (value: unknown, shown: string): void {
  requiredAs(value, shown)
  if (!isUuid(value as string)) failAs(shown, 'must be a UUID')
}

/**
 * Check a service id on its own, for lookups that are no method's request
 * (GraphQL's `backup(serviceId, name)`): required, free-form. Throws
 * VBGW_INVALID_ARGUMENT naming the field as `shown`.
 */
export function checkServiceId (value: unknown, shown = 'service_id'): void {
  requiredAs(value, shown)
}

/** Check a backup name to look up, restore or delete: required (neither bounded nor held plain: see MAX_NAME_LENGTH, plainNameAs). */
export function checkBackupName (value: unknown, shown = 'backup_name'): void {
  requiredAs(value, shown)
}

/** Check a policy id on its own: a UUID, so an id that can match no policy is an error, not a miss. */
export function checkPolicyId (value: unknown, shown = 'policy_id'): void {
  uuidAs(value, shown)
}

function required (req: Request, field: string, name: (f: string) => string): void {
  requiredAs(req[field], name(field))
}

function uuid (req: Request, field: string, name: (f: string) => string): void {
  uuidAs(req[field], name(field))
}

/** Optional UUID: absent, null and '' (what JSON clients send for "none") count as omitted. */
function optionalUuid (req: Request, field: string, name: (f: string) => string): void {
  const value = req[field]
  if (!present(value) || value === '') return
  if (typeof value !== 'string' || !isUuid(value)) fail(name, field, 'must be a UUID')
}

/** An optional name a create gives: absent, or non-blank, at most MAX_NAME_LENGTH long and plain. */
function optionalName (req: Request, field: string, name: (f: string) => string, hint: string): void {
  const value = req[field]
  if (!present(value)) return
  if (typeof value !== 'string') fail(name, field, 'must be a string')
  if (value.trim() === '') fail(name, field, `must not be empty; ${hint}`)
  createdNameAs(value, name(field))
}

/**
 * Most collections one backup or restore may name. The contract sets none;
 * a security QA pass had 200,000 accepted and sent upstream in one call.
 * Ten thousand is past any database's list a frontend would send, and
 * about what a 1 MiB body (BODY_LIMIT_BYTES) holds of names a hundred long.
 */
export const MAX_COLLECTION_NAMES = 10_000

/** Checked before anything walks the list: collection_names is the one list a request holds. */
function collectionCount (req: Request, name: (f: string) => string): void {
  const value = req.collection_names
  if (Array.isArray(value) && value.length > MAX_COLLECTION_NAMES) {
    fail(name, 'collection_names', `may hold at most ${MAX_COLLECTION_NAMES} names; this one holds ${value.length}`)
  }
}

/** The collections a backup or restore names: at least one, none blank; bounded and plain when a create names them. */
function collections (req: Request, name: (f: string) => string, plain: boolean): void {
  const value = req.collection_names
  if (!present(value)) fail(name, 'collection_names', 'must name at least one collection')
  if (!Array.isArray(value)) fail(name, 'collection_names', 'must be a list of collection names')
  if (value.length === 0) fail(name, 'collection_names', 'must name at least one collection')
  onceFor(value, plain ? 'created collections' : 'collections', name, () => {
    value.forEach((c, i) => {
      if (typeof c !== 'string' || c.trim() === '') fail(name, `collection_names[${i}]`, 'must not be empty')
      if (plain) createdNameAs(c as string, name(`collection_names[${i}]`))
    })
  })
}

/**
 * What is wrong with a schedule a policy is given, in words that follow the
 * field's name; undefined when it is fine. Shared with the simulator, which
 * refuses the same schedules in the same words.
 */
export function cronProblem (expr: string): string | undefined {
  let compiled: Cron
  try {
    compiled = compileCron(expr)
  } catch (err) {
    const reason = (err as Error).message.replace(/^CronPattern:\s*/, '')
    return `must be a five-field cron expression (minute hour day-of-month month day-of-week): ${reason}`
  }
  // A well-formed pattern may name no date at all (`0 0 31 2 *`): a policy that would never
  // back anything up. Croner searches its whole range to say so: about 1.5 ms, on a write only.
  if (compiled.nextRun() === null) return 'never fires: no date matches its day-of-month and month (such as 31 February or 31 April)'
  return undefined
}

function cron (req: Request, name: (f: string) => string): void {
  required(req, 'schedule_cron', name)
  const problem = cronProblem(req.schedule_cron as string)
  if (problem !== undefined) fail(name, 'schedule_cron', problem)
}

function retention (req: Request, name: (f: string) => string): void {
  const raw = req.retention_count
  // proto3 JSON allows an int32 as a number or a decimal string.
  const value = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw
  if (!present(value)) fail(name, 'retention_count', 'is required')
  if (typeof value !== 'number' || !Number.isInteger(value)) fail(name, 'retention_count', 'must be an integer')
  if (value < 1) fail(name, 'retention_count', 'must be at least 1')
  if (value > 2_147_483_647) fail(name, 'retention_count', 'must fit in a 32-bit integer')
}

function optionalBool (req: Request, field: string, name: (f: string) => string): void {
  const value = req[field]
  if (present(value) && typeof value !== 'boolean') fail(name, field, 'must be true or false')
}

/** One check per method, in the order the reference lists the fields. */
const CHECKS: Readonly<Record<MethodName, Check>> = {
  CreateBackup (req, name) {
    createdServiceAs(req.service_id, name('service_id'))
    uuid(req, 'organization_id', name)
    required(req, 'db_name', name)
    createdNameAs(req.db_name as string, name('db_name'))
    collections(req, name, true)
    optionalName(req, 'backup_name', name, 'omit it to get a generated name')
  },
  ListBackups (req, name) {
    checkServiceId(req.service_id, name('service_id'))
  },
  ListBackupByOrg (req, name) {
    uuid(req, 'organization_id', name)
  },
  RestoreBackup (req, name) {
    checkServiceId(req.service_id, name('service_id'))
    uuid(req, 'organization_id', name)
    checkBackupName(req.backup_name, name('backup_name'))
    required(req, 'db_name', name)
    collections(req, name, false)
  },
  DeleteBackup (req, name) {
    checkServiceId(req.service_id, name('service_id'))
    checkBackupName(req.backup_name, name('backup_name'))
  },
  CreateBackupPolicy (req, name) {
    createdServiceAs(req.service_id, name('service_id'))
    uuid(req, 'organization_id', name)
    cron(req, name)
    retention(req, name)
    optionalBool(req, 'is_active', name)
  },
  UpdateBackupPolicy (req, name) {
    checkServiceId(req.service_id, name('service_id'))
    checkPolicyId(req.policy_id, name('policy_id'))
    optionalUuid(req, 'organization_id', name)
    cron(req, name)
    retention(req, name)
    optionalBool(req, 'is_active', name)
  },
  DeleteBackupPolicy (req, name) {
    checkServiceId(req.service_id, name('service_id'))
    checkPolicyId(req.policy_id, name('policy_id'))
  },
  ListBackupPolicies (req, name) {
    checkServiceId(req.service_id, name('service_id'))
  }
}

const asIs = (field: string): string => field

/**
 * Validate a proto-named request for `method`: a bounded collection list,
 * every string well-formed Unicode, then the method's own checks. Throws
 * VBGW_INVALID_ARGUMENT (`errors.InvalidArgument`) naming the first bad
 * field, whose `field` is the proto name unless `opts.name` renames it.
 */
export function validateRequest (method: MethodName, request: Record<string, unknown>, opts: ValidateOptions = {}): void {
  const check = CHECKS[method]
  if (check === undefined) throw new TypeError(`no validation for method ${String(method)}`)
  const name = opts.name ?? asIs
  collectionCount(request, name)
  wellFormed(request, name)
  check(request, name)
}
