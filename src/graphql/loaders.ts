/**
 * mercurius loaders: every field that needs upstream data. mercurius calls a
 * loader once per tick with all pending `{obj, params}` of that field in the
 * operation; the fetcher turns them into one upstream call per distinct
 * key, concurrently under its bound, memoized across fields and ticks.
 * Loader caching is off (`cache: false`) because the fetcher's memo is the
 * one cache of a request: it is dropped after a write, so a mutation's
 * payload never shows a list read before the write.
 * A failure answers only the queries that needed it (an Error in their
 * slot), so one service's error leaves the others' data standing.
 *
 * An upstream answer is mapped once per request however many fields list
 * it (a backup's organization lists the same backups again), and a list is
 * sorted once per order and filter (connection.ts), so a query that nests
 * lists pays for the items it gets, not for sorting the whole list again
 * at each of them. Identical queries in one tick share one answer, so the
 * items an answer lists are counted where each list is written into it,
 * by resolvers (resolvers.ts: `Service.policies` and `Organization.services`
 * are resolvers for that reason; the fetcher's memo makes their calls one).
 * `Backup.policy` is one too: mercurius keys a loader's queries by their
 * parent, serialized, and a backup may name 10000 collections.
 */
import type { MercuriusContext, MercuriusLoaders } from 'mercurius'
import { deepFreeze } from '../deep-freeze.js'
import { checkBackupName, checkPolicyId } from '../upstream/validate.js'
import { backupConnection, pagingOf, type BackupListArgs } from './connection.js'
import {
  PRELOADED, preloadTag, SERVICE_OF, serviceWithBackups, toBackupNode, toPolicyNode,
  type BackupNode, type OrganizationRef, type PolicyNode, type RestoreJobNode, type ServiceRef
} from './model.js'

type Query<O, P> = { obj: O, params: P }

/**
 * Upstream answers mapped already, by answer: the fetcher hands every field
 * of a request the same object, a write makes a new one, and the list
 * cache hands every read of the same JSON the same frozen object, whoever
 * reads it (list-cache.ts), so an unchanged list is mapped once.
 */
const mapped = new WeakMap<object, BackupNode[] | PolicyNode[]>()

/** `res` mapped by `map`, once per answer object; frozen, as the nodes may serve other requests. */
function mappedOnce<T extends BackupNode[] | PolicyNode[]> (res: object, map: () => T): T {
  let nodes = mapped.get(res) as T | undefined
  if (nodes === undefined) {
    nodes = deepFreeze(map())
    mapped.set(res, nodes)
  }
  return nodes
}

/** The backups of a service: those its parent holds, or one ListBackups call per request. */
export async function backupsOf (ctx: MercuriusContext, service: ServiceRef): Promise<BackupNode[]> {
  const held = service[PRELOADED]
  if (held !== undefined) return held
  const res = await ctx.upstream.read('ListBackups', { service_id: service.id })
  return mappedOnce(res, () => res.backups.map(toBackupNode))
}

/**
 * The backups of an organization: one ListBackupByOrg call per request.
 * Each knows its service, holding that service's backups from this list:
 * the organization's list serves its children without new calls.
 */
export async function backupsOfOrg (ctx: MercuriusContext, organizationId: string): Promise<BackupNode[]> {
  const res = await ctx.upstream.read('ListBackupByOrg', { organization_id: organizationId })
  return mappedOnce(res, () => {
    const backups = res.backups.map(toBackupNode)
    const services = new Map(servicesIn(backups).map((s) => [s.id, s]))
    for (const backup of backups) backup[SERVICE_OF] = services.get(backup.serviceId)
    return backups
  })
}

/** Policies by lower-case id, once per mapped list (policiesOf hands a request's fields the same list). */
const byId = new WeakMap<readonly PolicyNode[], Map<string, PolicyNode>>()

/**
 * The policy of `policies` whose id is `id`, UUIDs compared in any case;
 * null when there is none. Indexed once per list: a list of 10000 backups
 * asking each for its policy was 10000 scans of the policies.
 */
export function policyWithId (policies: readonly PolicyNode[], id: string): PolicyNode | null {
  let index = byId.get(policies)
  if (index === undefined) {
    index = new Map(policies.map((p) => [p.id.toLowerCase(), p]))
    byId.set(policies, index)
  }
  return index.get(id.toLowerCase()) ?? null
}

/** The policies of a service, newest first: one ListBackupPolicies call per request. */
export async function policiesOf (ctx: MercuriusContext, serviceId: string): Promise<PolicyNode[]> {
  const res = await ctx.upstream.read('ListBackupPolicies', { service_id: serviceId })
  return mappedOnce(res, () => res.policies.map(toPolicyNode).sort((a, b) => Number(b.createdAt?.seconds ?? 0) - Number(a.createdAt?.seconds ?? 0) ||
    (b.createdAt?.nanos ?? 0) - (a.createdAt?.nanos ?? 0) || (a.id < b.id ? -1 : 1)))
}

/** Answer each query on its own: a rejection becomes that query's Error, which GraphQL reports at its path. */
function each<O, P, R> (fn: (q: Query<O, P>) => Promise<R>) {
  return async (queries: Array<Query<O, P>>): Promise<Array<R | Error>> => {
    const settled = await Promise.allSettled(queries.map(fn))
    return settled.map((s) => s.status === 'fulfilled' ? s.value : toError(s.reason))
  }
}

function toError (reason: unknown): Error {
  return reason instanceof Error ? reason : new TypeError('loader failed with a non-error value')
}

function uncached<O, P, R> (fn: (q: Query<O, P>, ctx: MercuriusContext) => Promise<R>) {
  return {
    loader: (queries: Array<Query<O, P>>, ctx: MercuriusContext) => each<O, P, R>((q) => fn(q, ctx))(queries),
    opts: { cache: false }
  }
}

/** Services seen in an organization's backups, by id, each holding its own backups. */
function servicesIn (backups: BackupNode[]): ServiceRef[] {
  const byService = new Map<string, BackupNode[]>()
  for (const b of backups) {
    const list = byService.get(b.serviceId)
    if (list === undefined) byService.set(b.serviceId, [b])
    else list.push(b)
  }
  const from = preloadTag()
  return [...byService.keys()].sort().map((id) => serviceWithBackups(id, byService.get(id) as BackupNode[], from))
}

/** The services of an organization's backups, by id: the references backupsOfOrg gave them, not a second grouping. */
export function servicesOf (backups: BackupNode[]): ServiceRef[] {
  const services = new Set<ServiceRef>()
  for (const b of backups) if (b[SERVICE_OF] !== undefined) services.add(b[SERVICE_OF])
  return [...services].sort((a, b) => a.id < b.id ? -1 : a.id > b.id ? 1 : 0)
}

/** The loaders, by type and field. */
export const loaders: MercuriusLoaders = {
  Service: {
    // Paging arguments are judged before the list is fetched.
    backups: uncached<ServiceRef, BackupListArgs, unknown>(async ({ obj, params }, ctx) => {
      const paging = pagingOf(params)
      return backupConnection(await backupsOf(ctx, obj), params, paging)
    }),
    backup: uncached<ServiceRef, { name: string }, BackupNode | null>(async ({ obj, params }, ctx) => {
      // As Query.backup judges it: an empty name is the caller's mistake, not a backup that is not there.
      checkBackupName(params.name, 'name')
      return (await backupsOf(ctx, obj)).find((b) => b.name === params.name) ?? null
    }),
    policy: uncached<ServiceRef, { id: string }, PolicyNode | null>(async ({ obj, params }, ctx) => {
      // An id that is not a UUID can match no policy: say so rather than answer null.
      checkPolicyId(params.id, 'id')
      return policyWithId(await policiesOf(ctx, obj.id), params.id)
    })
  },
  Organization: {
    backups: uncached<OrganizationRef, BackupListArgs, unknown>(async ({ obj, params }, ctx) => {
      const paging = pagingOf(params)
      return backupConnection(await backupsOfOrg(ctx, obj.id), params, paging)
    })
  },
  RestoreJob: {
    backup: uncached<RestoreJobNode, unknown, BackupNode | null>(async ({ obj }, ctx) =>
      (await backupsOf(ctx, { id: obj.serviceId })).find((b) => b.name === obj.backupName) ?? null)
  }
}

/** Told each loader batch's size (queries of one field in one tick), e.g. for a metrics histogram. */
export type BatchObserver = (type: string, field: string, size: number) => void

/** The same loaders, each reporting its batch size to `observe` first; what it throws is ignored. */
export function observedLoaders (observe: BatchObserver, base: MercuriusLoaders = loaders): MercuriusLoaders {
  const out: MercuriusLoaders = {}
  for (const [type, fields] of Object.entries(base)) {
    out[type] = {}
    for (const [field, def] of Object.entries(fields)) {
      const { loader, opts } = typeof def === 'function' ? { loader: def, opts: undefined } : def
      const wrapped: typeof loader = (queries, ctx) => {
        try { observe(type, field, queries.length) } catch { /* metrics never fail a query */ }
        return loader(queries, ctx)
      }
      out[type][field] = opts === undefined ? wrapped : { loader: wrapped, opts }
    }
  }
  return out
}
