/**
 * What the gateway can judge about a request before it reaches the upstream,
 * per method, from the reference's tables: required fields, UUID ids, a
 * five-field cron, a non-empty collection list, retention of at least 1.
 * Plain functions over proto-named requests, shared by GraphQL and REST, so
 * both reject the same input with the same words and never spend an
 * upstream call on it. Service ids are free-form: only required.
 */
import { Cron } from 'croner'
import { errors } from '../errors.js'
import type { MethodName } from './contract.js'

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/** True for the textual UUID form (any version), either case. */
export function isUuid (value: string): boolean {
  return UUID.test(value)
}

/**
 * Compile a cron expression the way VBase runs it: exactly five fields
 * (minute hour day-of-month month day-of-week), evaluated in UTC. Croner
 * alone would also take a seconds field or `@daily`; the reference speaks of
 * classic cron, and the simulator refuses those too. Throws RangeError.
 */
export function compileCron (expr: string): Cron {
  const fields = expr.trim().split(/\s+/)
  if (fields.length !== 5) throw new RangeError(`expected 5 fields, got ${expr.trim() === '' ? 0 : fields.length}`)
  return new Cron(expr.trim(), { timezone: 'UTC', paused: true, mode: '5-part' })
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

function fail (name: (field: string) => string, field: string, problem: string): never {
  const shown = name(field)
  throw new errors.InvalidArgument(`${shown} ${problem}`, shown)
}

function present (value: unknown): boolean {
  return value !== undefined && value !== null
}

function required (req: Request, field: string, name: (f: string) => string): void {
  const value = req[field]
  if (!present(value) || (typeof value === 'string' && value.trim() === '')) fail(name, field, 'is required')
  if (typeof value !== 'string') fail(name, field, 'must be a string')
}

function uuid (req: Request, field: string, name: (f: string) => string): void {
  required(req, field, name)
  if (!isUuid(req[field] as string)) fail(name, field, 'must be a UUID')
}

/** Optional UUID: absent, null and '' (what JSON clients send for "none") count as omitted. */
function optionalUuid (req: Request, field: string, name: (f: string) => string): void {
  const value = req[field]
  if (!present(value) || value === '') return
  if (typeof value !== 'string' || !isUuid(value)) fail(name, field, 'must be a UUID')
}

function optionalNonEmpty (req: Request, field: string, name: (f: string) => string, hint: string): void {
  const value = req[field]
  if (!present(value)) return
  if (typeof value !== 'string') fail(name, field, 'must be a string')
  if (value.trim() === '') fail(name, field, `must not be empty; ${hint}`)
}

function collections (req: Request, name: (f: string) => string): void {
  const value = req.collection_names
  if (!present(value)) fail(name, 'collection_names', 'must name at least one collection')
  if (!Array.isArray(value)) fail(name, 'collection_names', 'must be a list of collection names')
  if (value.length === 0) fail(name, 'collection_names', 'must name at least one collection')
  value.forEach((c, i) => {
    if (typeof c !== 'string' || c.trim() === '') fail(name, `collection_names[${i}]`, 'must not be empty')
  })
}

function cron (req: Request, name: (f: string) => string): void {
  required(req, 'schedule_cron', name)
  try {
    compileCron(req.schedule_cron as string)
  } catch (err) {
    const reason = (err as Error).message.replace(/^CronPattern:\s*/, '')
    fail(name, 'schedule_cron', `must be a five-field cron expression (minute hour day-of-month month day-of-week): ${reason}`)
  }
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
    required(req, 'service_id', name)
    uuid(req, 'organization_id', name)
    required(req, 'db_name', name)
    collections(req, name)
    optionalNonEmpty(req, 'backup_name', name, 'omit it to get a generated name')
  },
  ListBackups (req, name) {
    required(req, 'service_id', name)
  },
  ListBackupByOrg (req, name) {
    uuid(req, 'organization_id', name)
  },
  RestoreBackup (req, name) {
    required(req, 'service_id', name)
    uuid(req, 'organization_id', name)
    required(req, 'backup_name', name)
    required(req, 'db_name', name)
    collections(req, name)
  },
  DeleteBackup (req, name) {
    required(req, 'service_id', name)
    required(req, 'backup_name', name)
  },
  CreateBackupPolicy (req, name) {
    required(req, 'service_id', name)
    uuid(req, 'organization_id', name)
    cron(req, name)
    retention(req, name)
    optionalBool(req, 'is_active', name)
  },
  UpdateBackupPolicy (req, name) {
    required(req, 'service_id', name)
    uuid(req, 'policy_id', name)
    optionalUuid(req, 'organization_id', name)
    cron(req, name)
    retention(req, name)
    optionalBool(req, 'is_active', name)
  },
  DeleteBackupPolicy (req, name) {
    required(req, 'service_id', name)
    uuid(req, 'policy_id', name)
  },
  ListBackupPolicies (req, name) {
    required(req, 'service_id', name)
  }
}

const asIs = (field: string): string => field

/**
 * Validate a proto-named request for `method`. Throws VBGW_INVALID_ARGUMENT
 * (`errors.InvalidArgument`) naming the first bad field, whose `field` is
 * the proto name unless `opts.name` renames it.
 */
export function validateRequest (method: MethodName, request: Record<string, unknown>, opts: ValidateOptions = {}): void {
  const check = CHECKS[method]
  if (check === undefined) throw new TypeError(`no validation for method ${String(method)}`)
  check(request, opts.name ?? asIs)
}
