/**
 * Resolvers that are not loaders: the entry points, the six mutations, the
 * links between types, and what the gateway computes itself (next runs).
 * Entry points validate their ids before anything reaches the upstream;
 * mutations map the input to the proto request and return the affected
 * object as the upstream answered it.
 */
import type { IResolvers, MercuriusContext } from 'mercurius'
import { errors } from '../errors.js'
import { checkBackupName, checkServiceId, compileCron, validateRequest } from '../upstream/validate.js'
import { backupsOf } from './loaders.js'
import {
  SERVICE_OF, toBackupNode, toPolicyNode, toRestoreJobNode,
  type BackupNode, type OrganizationRef, type PolicyNode, type ServiceRef
} from './model.js'
import { argName, inputName } from './names.js'
import { DateTime, Int64 } from './scalars.js'

/** Most run times `BackupPolicy.nextRuns` computes at once. */
export const MAX_NEXT_RUNS = 100
/** Run times `BackupPolicy.nextRuns` computes when `count` is omitted or null. */
export const DEFAULT_NEXT_RUNS = 5

interface CreateBackupInput { serviceId: string, organizationId: string, dbName: string, collectionNames: string[], backupName?: string | null }
interface RestoreBackupInput { serviceId: string, organizationId: string, backupName: string, dbName: string, collectionNames: string[] }
interface DeleteBackupInput { serviceId: string, backupName: string }
interface CreatePolicyInput { serviceId: string, organizationId: string, scheduleCron: string, retentionCount: number, isActive?: boolean | null }
interface UpdatePolicyInput { serviceId: string, policyId: string, organizationId?: string | null, scheduleCron: string, retentionCount: number, isActive?: boolean | null }
interface DeletePolicyInput { serviceId: string, policyId: string }

type Args<T> = { input: T }
const asInput = { name: inputName }
const service = (id: string): ServiceRef => ({ id })

/** Copy `value` to `out[key]` only when given: proto `optional` fields keep their presence. */
function optional<T extends object> (out: T, key: string, value: unknown): T {
  if (value !== undefined && value !== null) (out as Record<string, unknown>)[key] = value
  return out
}

/**
 * The field is nullable on purpose: its errors (a bad `count`, a schedule the
 * gateway cannot read) null it alone, never the policy and with it a
 * mutation payload whose write already happened.
 */
function nextRuns (policy: PolicyNode, requested: number | null | undefined, now: number): Date[] {
  // An explicit `count: null` means the default, like an omitted one.
  const count = requested ?? DEFAULT_NEXT_RUNS
  if (!Number.isInteger(count) || count < 0 || count > MAX_NEXT_RUNS) {
    throw new errors.InvalidArgument(`count must be between 0 and ${MAX_NEXT_RUNS}`, 'count')
  }
  if (!policy.isActive || count === 0) return []
  let cron
  try {
    cron = compileCron(policy.scheduleCron)
  } catch {
    // The upstream accepted a schedule the gateway cannot read (say, six fields).
    throw new errors.UnreadableSchedule()
  }
  return cron.nextRuns(count, new Date(now))
}

/** Build the resolvers. */
export function buildResolvers (): IResolvers {
  return {
    // mercurius copies these functions onto the schema's scalars; its types expect a resolver map.
    DateTime: DateTime as unknown as IResolvers['DateTime'],
    Int64: Int64 as unknown as IResolvers['Int64'],

    Query: {
      service (_root: unknown, { id }: { id: string }): ServiceRef {
        checkServiceId(id, 'id')
        return service(id)
      },
      organization (_root: unknown, { id }: { id: string }): OrganizationRef {
        validateRequest('ListBackupByOrg', { organization_id: id }, { name: argName({ organization_id: 'id' }) })
        return { id }
      },
      async backup (_root: unknown, args: { serviceId: string, name: string }, ctx: MercuriusContext): Promise<BackupNode | null> {
        checkServiceId(args.serviceId, 'serviceId')
        checkBackupName(args.name, 'name')
        return (await backupsOf(ctx, service(args.serviceId))).find((b) => b.name === args.name) ?? null
      }
    },

    Mutation: {
      async createBackup (_root: unknown, { input }: Args<CreateBackupInput>, ctx: MercuriusContext) {
        const request = optional({
          service_id: input.serviceId,
          organization_id: input.organizationId,
          db_name: input.dbName,
          collection_names: input.collectionNames
        }, 'backup_name', input.backupName)
        const backup = await ctx.upstream.write('CreateBackup', request, asInput)
        return { backup: toBackupNode(backup), service: service(input.serviceId) }
      },
      async restoreBackup (_root: unknown, { input }: Args<RestoreBackupInput>, ctx: MercuriusContext) {
        const job = await ctx.upstream.write('RestoreBackup', {
          service_id: input.serviceId,
          organization_id: input.organizationId,
          backup_name: input.backupName,
          db_name: input.dbName,
          collection_names: input.collectionNames
        }, asInput)
        return { restoreJob: toRestoreJobNode(job), service: service(input.serviceId) }
      },
      async deleteBackup (_root: unknown, { input }: Args<DeleteBackupInput>, ctx: MercuriusContext) {
        const res = await ctx.upstream.write('DeleteBackup', { service_id: input.serviceId, backup_name: input.backupName }, asInput)
        if (res.backup === null) throw missingDeleted('backup')
        return { backup: toBackupNode(res.backup), service: service(input.serviceId) }
      },
      async createBackupPolicy (_root: unknown, { input }: Args<CreatePolicyInput>, ctx: MercuriusContext) {
        const request = optional({
          service_id: input.serviceId,
          organization_id: input.organizationId,
          schedule_cron: input.scheduleCron,
          retention_count: input.retentionCount
        }, 'is_active', input.isActive)
        const policy = await ctx.upstream.write('CreateBackupPolicy', request, asInput)
        return { policy: toPolicyNode(policy), service: service(input.serviceId) }
      },
      async updateBackupPolicy (_root: unknown, { input }: Args<UpdatePolicyInput>, ctx: MercuriusContext) {
        const request = optional(optional({
          service_id: input.serviceId,
          policy_id: input.policyId,
          schedule_cron: input.scheduleCron,
          retention_count: input.retentionCount
        }, 'organization_id', input.organizationId), 'is_active', input.isActive)
        const policy = await ctx.upstream.write('UpdateBackupPolicy', request, asInput)
        return { policy: toPolicyNode(policy), service: service(input.serviceId) }
      },
      async deleteBackupPolicy (_root: unknown, { input }: Args<DeletePolicyInput>, ctx: MercuriusContext) {
        const res = await ctx.upstream.write('DeleteBackupPolicy', { service_id: input.serviceId, policy_id: input.policyId }, asInput)
        if (res.policy === null) throw missingDeleted('policy')
        return { policy: toPolicyNode(res.policy), service: service(input.serviceId) }
      }
    },

    Backup: {
      service: (backup: BackupNode): ServiceRef => backup[SERVICE_OF] ?? service(backup.serviceId),
      organization: (backup: BackupNode): OrganizationRef => ({ id: backup.organizationId })
    },

    BackupPolicy: {
      service: (policy: PolicyNode): ServiceRef => service(policy.serviceId),
      nextRuns: (policy: PolicyNode, { count }: { count?: number | null }, ctx: MercuriusContext): Date[] => nextRuns(policy, count, ctx.now())
    }
  }
}

/** The delete went through, but the upstream broke its contract by not returning what it deleted. */
function missingDeleted (what: string): Error {
  return new errors.UpstreamBrokeContract(`the ${what} was deleted, but the backup service did not return it`)
}
