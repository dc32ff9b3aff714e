/**
 * The invalidation table. A cached list depends on references (which
 * service's backups, which organization, which service's policies); a write
 * invalidates references, for every principal. Both sides are derived from
 * request and response fields, here and nowhere else.
 */
import type { MethodName, RequestOf, ResponseOf } from '../upstream/contract.js'

/** Reference names. Values are ids from the contract (UUIDs, service ids), never caller secrets. */
export const ref = {
  /** The backup list of one service (ListBackups). */
  serviceBackups: (serviceId: string) => `backups:${serviceId}`,
  /** The backup list of one organization (ListBackupByOrg). UUIDs compare case-insensitively. */
  orgBackups: (organizationId: string) => `org:${organizationId.toLowerCase()}`,
  /** Every organization backup list that holds a backup of this service. */
  orgsHolding: (serviceId: string) => `org-holding:${serviceId}`,
  /** The policy list of one service (ListBackupPolicies). */
  servicePolicies: (serviceId: string) => `policies:${serviceId}`
} as const

type Read = 'ListBackups' | 'ListBackupByOrg' | 'ListBackupPolicies'
type Write = Exclude<MethodName, Read>

/** The ids a message carries, possibly absent (an unset field or an unknown write outcome). */
type Maybe<T> = Partial<T> | null | undefined

function refs (...names: Array<[(id: string) => string, string | null | undefined]>): string[] {
  const out = new Set<string>()
  // Ids are percent-encoded so a reference is one token without spaces,
  // whatever a caller put in a field: storages join references with spaces.
  for (const [make, id] of names) if (typeof id === 'string' && id !== '') out.add(make(encodeURIComponent(id)))
  return [...out]
}

/** What a cached read depends on: from its request, and for org lists from the services in the answer. */
export const READ_REFERENCES: { [M in Read]: (req: Maybe<RequestOf<M>>, res: Maybe<ResponseOf<M>>) => string[] } = {
  ListBackups: (req) => refs([ref.serviceBackups, req?.service_id]),
  ListBackupByOrg: (req, res) => refs([ref.orgBackups, req?.organization_id],
    ...(res?.backups ?? []).map((b) => [ref.orgsHolding, b.service_id] as [(id: string) => string, string])),
  ListBackupPolicies: (req) => refs([ref.servicePolicies, req?.service_id])
}

/**
 * Whether a write of `written` may change the answer of a read of `method`
 * still in flight, before its answer is known: when it shares a reference
 * of its request, or, for an organization's list, whose references to
 * services come from the answer, when the write touches every organization
 * list holding some service (a delete).
 */
export function inFlightTouchedBy (method: MethodName, request: unknown): (written: readonly string[]) => boolean {
  const own = readReferences(method, request, undefined)
  const byAnswer = method === 'ListBackupByOrg' ? ref.orgsHolding('') : undefined
  return (written) => written.some((r) => own.includes(r) || (byAnswer !== undefined && r.startsWith(byAnswer)))
}

/**
 * What a write invalidates (DESIGN.md, method table). `res` is undefined when
 * the outcome is unknown (deadline, cancel): then only request fields count.
 */
export const INVALIDATES: { [M in Write]: (req: Maybe<RequestOf<M>>, res: Maybe<ResponseOf<M>>) => string[] } = {
  // service + org lists: a new backup shows in both.
  CreateBackup: (req, res) => refs([ref.serviceBackups, req?.service_id], [ref.serviceBackups, res?.service_id],
    [ref.orgBackups, req?.organization_id], [ref.orgBackups, res?.organization_id]),
  // service lists only: a restore changes no org list.
  RestoreBackup: (req, res) => refs([ref.serviceBackups, req?.service_id], [ref.serviceBackups, res?.service_id]),
  // service lists and every org list holding that service; the answer names the owning org.
  DeleteBackup: (req, res) => refs([ref.serviceBackups, req?.service_id], [ref.orgsHolding, req?.service_id],
    [ref.orgBackups, res?.backup?.organization_id]),
  // policy writes: the service's policy list.
  CreateBackupPolicy: (req, res) => refs([ref.servicePolicies, req?.service_id], [ref.servicePolicies, res?.service_id]),
  UpdateBackupPolicy: (req, res) => refs([ref.servicePolicies, req?.service_id], [ref.servicePolicies, res?.service_id]),
  DeleteBackupPolicy: (req, res) => refs([ref.servicePolicies, req?.service_id], [ref.servicePolicies, res?.policy?.service_id])
}

/** References a read's answer depends on; empty for methods outside the table. */
export function readReferences (method: MethodName, request: unknown, response: unknown): string[] {
  const derive = (READ_REFERENCES as Record<string, (req: unknown, res: unknown) => string[]>)[method]
  return derive === undefined ? [] : derive(request, response)
}

/** References a write invalidates; empty for methods outside the table. */
export function writeInvalidates (method: MethodName, request: unknown, response: unknown): string[] {
  const derive = (INVALIDATES as Record<string, (req: unknown, res: unknown) => string[]>)[method]
  return derive === undefined ? [] : derive(request, response)
}

const UNFINISHED = new Set(['PENDING', 'RUNNING'])

/**
 * True when an answer holds a job that is still moving (PENDING or RUNNING):
 * such a list changes without any write the gateway sees, so it is kept only
 * briefly. Walks the answer so a new list method needs no change here.
 */
export function holdsUnfinishedJob (value: unknown, depth = 0): boolean {
  if (value === null || typeof value !== 'object' || depth > 6) return false
  if (Array.isArray(value)) return value.some((v) => holdsUnfinishedJob(v, depth + 1))
  const obj = value as Record<string, unknown>
  if (typeof obj.status === 'string' && UNFINISHED.has(obj.status)) return true
  return Object.values(obj).some((v) => typeof v === 'object' && holdsUnfinishedJob(v, depth + 1))
}
