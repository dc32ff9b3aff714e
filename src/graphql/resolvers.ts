/**
 * Resolvers that are not loaders: the entry points, the six mutations, the
 * links between types, and what the gateway computes itself (next runs).
 * Entry points validate their ids before anything reaches the upstream;
 * mutations map the input to the proto request and return the affected
 * object as the upstream answered it. Service ids, and the backup name a
 * lookup asks for, are bounded as a REST path bounds them.
 */
import type { Cron } from 'croner'
import type { IResolvers, MercuriusContext } from 'mercurius'
import { errors } from '../errors.js'
import { checkBackupName, checkIdLength, checkServiceId, compileCron, validateRequest } from '../upstream/validate.js'
import type { Connection } from './connection.js'
import { NAME_TENTHS } from './limits.js'
import { backupsOf, backupsOfOrg, policiesOf, policyWithId, servicesOf } from './loaders.js'
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
/**
 * Most run times one HTTP request's `nextRuns` fields compute in all (a
 * batch's operations share them). Croner takes some 30-60 us a run, and the
 * caller chooses how many policies it has: without a bound, aliases times
 * policies times 100 runs held the event loop for seconds. 1000 is ten
 * policies' 100 runs, or a hundred policies' ten; more is refused on the
 * field, not computed.
 */
export const MAX_NEXT_RUNS_PER_REQUEST = 1000
/**
 * What a search that finds no further run costs from that budget: croner
 * then walks its whole range (about 1-4 ms, as much as a hundred runs found).
 */
const EMPTY_SEARCH_COST = MAX_NEXT_RUNS

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

/** The runs of one schedule computed so far in a request, or why it cannot have any. */
type ScheduleRuns = { cron: Cron, runs: Date[], exhausted: boolean } | 'unreadable'

/** One request's `nextRuns` work: the instant they count from, the budget left, the runs so far. */
interface NextRunsState { from: Date, left: number, schedules: Map<string, ScheduleRuns> }

/**
 * Per HTTP request, kept on its reply: mercurius gives each operation of a
 * batch its own context object, all inheriting the request's reply. On the
 * reply itself, not in a WeakMap keyed by replies, whose entries V8's
 * young-generation GC keeps (see kOperation in src/ops/metrics.ts).
 */
const kNextRuns = Symbol('vbgw.nextRuns')
type NextRunsHolder = { [kNextRuns]?: NextRunsState }

function nextRunsState (ctx: MercuriusContext): NextRunsState {
  const holder = ((ctx.reply as object | undefined) ?? ctx) as NextRunsHolder
  // One instant for the whole request: every alias and policy counts from it, so equal schedules share their runs.
  return (holder[kNextRuns] ??= { from: new Date(ctx.now()), left: MAX_NEXT_RUNS_PER_REQUEST, schedules: new Map() })
}

/**
 * The field is nullable on purpose: its errors (a bad `count`, a schedule the
 * gateway cannot read, a request over its budget) null it alone, never the
 * policy and with it a mutation payload whose write already happened.
 * Runs are memoized per request by schedule: an alias, a smaller count or a
 * second policy of the same schedule computes nothing new; a larger count
 * computes only the runs past those already known.
 */
function nextRuns (policy: PolicyNode, requested: number | null | undefined, ctx: MercuriusContext): Date[] {
  // An explicit `count: null` means the default, like an omitted one.
  const count = requested ?? DEFAULT_NEXT_RUNS
  if (!Number.isInteger(count) || count < 0 || count > MAX_NEXT_RUNS) {
    throw new errors.InvalidArgument(`count must be between 0 and ${MAX_NEXT_RUNS}`, 'count')
  }
  if (!policy.isActive || policy.deleted === true || count === 0) return []
  const state = nextRunsState(ctx)
  let schedule = state.schedules.get(policy.scheduleCron)
  if (schedule === undefined) {
    try {
      schedule = { cron: compileCron(policy.scheduleCron), runs: [], exhausted: false }
    } catch {
      schedule = 'unreadable'
    }
    state.schedules.set(policy.scheduleCron, schedule)
  }
  // The upstream accepted a schedule the gateway cannot read (say, six fields).
  if (schedule === 'unreadable') throw new errors.UnreadableSchedule()
  const missing = count - schedule.runs.length
  if (missing > 0 && !schedule.exhausted) {
    if (missing > state.left) {
      throw new errors.InvalidArgument(`count would take this request past the ${MAX_NEXT_RUNS_PER_REQUEST} run times its nextRuns fields ` +
        'may compute in all; ask for fewer runs, or for fewer policies at a time', 'count')
    }
    state.left -= missing
    const more = schedule.cron.nextRuns(missing, schedule.runs.at(-1) ?? state.from)
    schedule.runs.push(...more)
    if (more.length < missing) {
      schedule.exhausted = true
      state.left = Math.max(0, state.left - EMPTY_SEARCH_COST)
    }
  }
  return schedule.runs.slice(0, count)
}

/**
 * A list written into the answer, its items taken from the request's budget
 * first (GRAPHQL_MAX_NODES): past it, null with an error for the first
 * list, empty for those after it (createNodeBudget). Counted here, where
 * each occurrence is resolved: identical loader queries share one answer,
 * so a list nested in each of N parents is one loader answer but N lists in
 * the response.
 */
function listed<T> (ctx: MercuriusContext, items: T[], tenths?: number): T[] {
  return ctx.nodes.take(ctx, items.length, tenths) ? items : []
}

/**
 * A field's failure, counted as one item of the budget: each is an error in
 * the answer, which graphql-js builds with its path and stack, so fifty
 * aliases of a failing field under each of thousands of listed items made
 * 480,000 of them (25 s). Past the budget the field is null, and the
 * budget's one error says why.
 */
function failed (ctx: MercuriusContext, err: unknown): null {
  if (!ctx.nodes.take(ctx, 1)) return null
  throw err
}

/** A backup's or a restore's collection names, each a tenth of an item of the budget (NAME_TENTHS). */
const collectionNames = (job: { collectionNames: string[] }, _args: unknown, ctx: MercuriusContext): string[] => listed(ctx, job.collectionNames, NAME_TENTHS)

/**
 * A backup's opaque id (Backup.id): base64url of its service and name as a
 * JSON pair, unambiguous whatever either holds, and the same for a backup
 * in every list and lookup that reaches it.
 */
export function backupId (backup: { serviceId: string, name: string }): string {
  return Buffer.from(JSON.stringify([backup.serviceId, backup.name])).toString('base64url')
}

/** Build the resolvers. */
export function buildResolvers (): IResolvers {
  return {
    // mercurius copies these functions onto the schema's scalars; its types expect a resolver map.
    DateTime: DateTime as unknown as IResolvers['DateTime'],
    Int64: Int64 as unknown as IResolvers['Int64'],

    Query: {
      service (_root: unknown, { id }: { id: string }): ServiceRef {
        checkIdLength(id, 'id')
        checkServiceId(id, 'id')
        return service(id)
      },
      organization (_root: unknown, { id }: { id: string }): OrganizationRef {
        validateRequest('ListBackupByOrg', { organization_id: id }, { name: argName({ organization_id: 'id' }) })
        // UUIDs compare case-insensitively: one spelling, so the id matches the organizationId of
        // its backups (one entity in a client's normalized cache) and one list call serves both.
        return { id: id.toLowerCase() }
      },
      async backup (_root: unknown, args: { serviceId: string, name: string }, ctx: MercuriusContext): Promise<BackupNode | null> {
        checkIdLength(args.serviceId, 'serviceId')
        checkIdLength(args.name, 'name')
        checkServiceId(args.serviceId, 'serviceId')
        checkBackupName(args.name, 'name')
        return (await backupsOf(ctx, service(args.serviceId))).find((b) => b.name === args.name) ?? null
      }
    },

    Mutation: {
      async createBackup (_root: unknown, { input }: Args<CreateBackupInput>, ctx: MercuriusContext) {
        checkIdLength(input.serviceId, 'input.serviceId')
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
        checkIdLength(input.serviceId, 'input.serviceId')
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
        checkIdLength(input.serviceId, 'input.serviceId')
        const res = await ctx.upstream.write('DeleteBackup', { service_id: input.serviceId, backup_name: input.backupName }, asInput)
        if (res.backup === null) throw missingDeleted('backup')
        return { backup: toBackupNode(res.backup), service: service(input.serviceId) }
      },
      async createBackupPolicy (_root: unknown, { input }: Args<CreatePolicyInput>, ctx: MercuriusContext) {
        checkIdLength(input.serviceId, 'input.serviceId')
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
        checkIdLength(input.serviceId, 'input.serviceId')
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
        checkIdLength(input.serviceId, 'input.serviceId')
        const res = await ctx.upstream.write('DeleteBackupPolicy', { service_id: input.serviceId, policy_id: input.policyId }, asInput)
        if (res.policy === null) throw missingDeleted('policy')
        // As it was when deleted, but it fires no more: no next runs.
        return { policy: { ...toPolicyNode(res.policy), deleted: true }, service: service(input.serviceId) }
      }
    },

    // The lists an answer holds, each counted where it is written (listed).
    BackupConnection: {
      nodes: (conn: Connection<BackupNode>, _args: unknown, ctx: MercuriusContext) => listed(ctx, conn.nodes),
      edges: (conn: Connection<BackupNode>, _args: unknown, ctx: MercuriusContext) => listed(ctx, conn.edges)
    },
    Organization: {
      services: async (org: OrganizationRef, _args: unknown, ctx: MercuriusContext): Promise<ServiceRef[] | null> => {
        const backups = await backupsOfOrg(ctx, org.id).catch((err: unknown) => failed(ctx, err))
        return backups === null ? null : listed(ctx, servicesOf(backups))
      }
    },
    Service: {
      policies: async (svc: ServiceRef, { isActive }: { isActive?: boolean | null }, ctx: MercuriusContext): Promise<PolicyNode[] | null> => {
        const all = await policiesOf(ctx, svc.id).catch((err: unknown) => failed(ctx, err))
        if (all === null) return null
        return listed(ctx, isActive === null || isActive === undefined ? all : all.filter((p) => p.isActive === isActive))
      }
    },

    Backup: {
      id: (backup: BackupNode): string => backupId(backup),
      collectionNames,
      policy: async (backup: BackupNode, _args: unknown, ctx: MercuriusContext): Promise<PolicyNode | null> => {
        if (backup.policyId === null) return null
        const all = await policiesOf(ctx, backup.serviceId).catch((err: unknown) => failed(ctx, err))
        return all === null ? null : policyWithId(all, backup.policyId)
      },
      service: (backup: BackupNode): ServiceRef => backup[SERVICE_OF] ?? service(backup.serviceId),
      organization: (backup: BackupNode): OrganizationRef => ({ id: backup.organizationId })
    },

    RestoreJob: {
      collectionNames
    },

    BackupPolicy: {
      service: (policy: PolicyNode): ServiceRef => service(policy.serviceId),
      // Runs shared by equal schedules are computed once (the run budget), but each field writes its own: counted as names are.
      nextRuns: (policy: PolicyNode, { count }: { count?: number | null }, ctx: MercuriusContext): Date[] | null => {
        // Once this operation's lists are cut, empty at once: neither computed nor refused, an error of its own (and its stack) for each.
        if (ctx.nodes.refusedIn(ctx) > 0) return []
        let runs: Date[]
        try {
          runs = nextRuns(policy, count, ctx)
        } catch (err) {
          return failed(ctx, err)
        }
        return listed(ctx, runs, NAME_TENTHS)
      }
    }
  }
}

/** The delete went through, but the upstream broke its contract by not returning what it deleted. */
function missingDeleted (what: string): Error {
  return new errors.UpstreamBrokeContract(`the ${what} was deleted, but the backup service did not return it`)
}
