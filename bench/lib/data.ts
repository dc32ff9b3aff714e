/**
 * The bench's fixed data and requests: 20 services with 20 backups each,
 * deterministic names, and the exact REST paths, GraphQL operations and
 * gRPC requests every scenario sends.
 */

/** The simulator's documented dev token (not a secret) and its organization. */
export const BENCH_TOKEN = 'vbase-dev-token'
export const BENCH_ORG_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7'
export const AUTHORIZATION = `Bearer ${BENCH_TOKEN}`

export const SERVICE_COUNT = 20
export const BACKUPS_PER_SERVICE = 20

const pad = (n: number): string => String(n).padStart(2, '0')

/** `bench-svc-00` ... `bench-svc-19`. */
export const BENCH_SERVICES: readonly string[] = Array.from({ length: SERVICE_COUNT }, (_, i) => `bench-svc-${pad(i)}`)

/** The service the single-list scenarios (A, B, E and the floors) read. */
export const LIST_SERVICE = BENCH_SERVICES[0] as string

/** `<service>-backup-00` ... `-19`, in creation order. */
export function backupNamesOf (serviceId: string): string[] {
  return Array.from({ length: BACKUPS_PER_SERVICE }, (_, i) => `${serviceId}-backup-${pad(i)}`)
}

/** The CreateBackup request that seeds one backup. */
export function seedRequest (serviceId: string, backupName: string): object {
  return {
    service_id: serviceId,
    organization_id: BENCH_ORG_ID,
    db_name: 'benchdb',
    collection_names: ['orders', 'customers'],
    backup_name: backupName
  }
}

/** REST path of a service's backup list. */
export const restListPath = (serviceId: string): string => `/v1/vbase/${serviceId}/backup`

/** Every Backup field, so the GraphQL list carries what the REST list carries. */
const BACKUP_FIELDS = 'name serviceId organizationId dbName collectionNames status createdAt completedAt sizeBytes policyId errorMessage'

/** A: one service's backup list through GraphQL. */
export const GRAPHQL_LIST = {
  query: `query List($id: ID!) { service(id: $id) { backups { totalCount nodes { ${BACKUP_FIELDS} } } } }`,
  variables: { id: LIST_SERVICE }
}

/**
 * C: a page over 20 services, the way component-built frontends write it:
 * each service's card lists its latest five backups, each row showing its
 * service's count of completed backups (a field of the row's own
 * `service`: the textbook N+1), and one backup by name. With loaders: one
 * ListBackups per service, 20 per request. Naive, every field that needs
 * the list calls upstream: 1 + 5 + 1 per service, 140 per request.
 * Written within the gateway's default GraphQL limits (20 aliases, depth 6).
 */
export const GRAPHQL_FANOUT = {
  query: [
    'query Page {',
    ...BENCH_SERVICES.map((id, i) => `  s${pad(i)}: service(id: "${id}") { ...Card backup(name: "${backupNamesOf(id)[BACKUPS_PER_SERVICE - 1]}") { name status completedAt } }`),
    '}',
    'fragment Card on Service {',
    '  id',
    '  backups(first: 5) { totalCount nodes { name status createdAt sizeBytes service { id backups(status: [COMPLETED]) { totalCount } } } }',
    '}'
  ].join('\n')
}

/** Upstream calls one fan-out request makes with loaders: one ListBackups per service. */
export const FANOUT_CALLS_WITH_LOADERS = SERVICE_COUNT
/** ...and with a resolver per field: the card's list, its five rows' service lists, the named backup. */
export const FANOUT_CALLS_NAIVE = 7 * SERVICE_COUNT

/** x-request-id prefix of the requests whose upstream calls the simulator counts (`<prefix><scenario>.<n>`). */
export const TAG_PREFIX = 'bench-count.'

/** The gRPC request of the direct floor: the same list A asks for. */
export const DIRECT_REQUEST = { service_id: LIST_SERVICE }
