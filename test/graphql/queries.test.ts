/**
 * The entry points against the seeded simulator over real gRPC: what each
 * answers, the list arguments, the links between types, and the main error
 * of each. The simulator runs on a manual clock, so seeded jobs keep their
 * states and no policy fires during the test.
 */
import { status as GrpcStatus } from '@grpc/grpc-js'
import t from 'tap'
import { DEMO_BACKUPS, DEMO_ORG_ID, DEMO_POLICY_ID, DEMO_SERVICE_IDS, DEV_TOKEN } from '../../src/simulator/index.js'
import { backupId } from '../../src/graphql/resolvers.js'
import { buildTestApp } from '../helpers/app.js'
import { FakeClock, FAKE_EPOCH } from '../helpers/clock.js'
import { buildClockedGraphqlApp, codes, gql } from './helpers.js'

const [CATALOG, ANALYTICS] = DEMO_SERVICE_IDS
const OTHER_ORG = '11111111-2222-4333-8444-555555555555'
const OTHER_TOKEN = 'other-org-token'
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

t.test('queries', async (t) => {
  const { app, sim } = await buildTestApp(t, {
    simulator: { clock: new FakeClock(), tokens: `${DEV_TOKEN}=${DEMO_ORG_ID},${OTHER_TOKEN}=${OTHER_ORG}` }
  })

  t.test('organization: its backups across services, newest first, and its services', async (t) => {
    const { status, body } = await gql(app, `query Org($id: ID!) {
      organization(id: $id) {
        id
        backups { totalCount nodes { name serviceId organizationId status createdAt completedAt sizeBytes errorMessage collectionNames } }
        failed: backups(status: [FAILED]) { totalCount nodes { name errorMessage sizeBytes completedAt } }
        services { id backups { totalCount nodes { name } } backup(name: "catalog-manual-003") { status } }
      }
    }`, { variables: { id: DEMO_ORG_ID } })
    t.equal(status, 200)
    t.notOk(body.errors)
    const org = body.data.organization
    t.equal(org.id, DEMO_ORG_ID)
    t.equal(org.backups.totalCount, DEMO_BACKUPS.length)
    // Newest first: the seed's ages ascending.
    const byAge = [...DEMO_BACKUPS].sort((a, b) => a.ageMs - b.ageMs).map((b) => b.name)
    t.same(org.backups.nodes.map((n: { name: string }) => n.name), byAge)
    for (const node of org.backups.nodes) {
      t.match(node.createdAt, RFC3339_UTC)
      t.equal(node.organizationId, DEMO_ORG_ID)
      t.type(node.sizeBytes, 'string')
      t.match(node.sizeBytes, /^\d+$/)
      t.ok(['PENDING', 'RUNNING', 'COMPLETED', 'FAILED'].includes(node.status))
    }
    const oldest = org.backups.nodes[org.backups.nodes.length - 1]
    t.equal(oldest.createdAt, new Date(FAKE_EPOCH - 72 * 3_600_000).toISOString())
    t.not(oldest.sizeBytes, '0', 'a completed backup has a size')
    // Seeded 6 h before the simulator's start, finished 90 s later (src/simulator/seed.ts).
    const failedAt = new Date(FAKE_EPOCH - 6 * 3_600_000 + 90_000).toISOString()
    t.same(org.failed.nodes, [{ name: 'analytics-events-002', errorMessage: 'backup volume quota exceeded', sizeBytes: '0', completedAt: failedAt }])
    const pending = org.backups.nodes.find((n: { status: string }) => n.status === 'PENDING')
    t.equal(pending.completedAt, null)
    t.equal(pending.errorMessage, null)
    t.same(org.services.map((s: { id: string }) => s.id), [...DEMO_SERVICE_IDS].sort())
    const catalog = org.services.find((s: { id: string }) => s.id === CATALOG)
    t.equal(catalog.backups.totalCount, 3)
    t.same(catalog.backup, { status: 'RUNNING' })
    t.equal(org.services.find((s: { id: string }) => s.id === ANALYTICS).backup, null)
  })

  t.test('organization: main error, another organization is FORBIDDEN', async (t) => {
    const { status, body } = await gql(app, `{ organization(id: "${OTHER_ORG}") { id backups { totalCount } } }`)
    t.equal(status, 200)
    t.same(body.data, { organization: { id: OTHER_ORG, backups: null } })
    t.same(codes(body), ['FORBIDDEN'])
    t.equal(body.errors?.[0]?.extensions.grpcStatus, 'PERMISSION_DENIED')
    t.same(body.errors?.[0]?.path, ['organization', 'backups'])
  })

  t.test('service: backups, one backup, policies, one policy, links', async (t) => {
    const { body } = await gql(app, `query S($id: ID!, $policy: ID!) {
      service(id: $id) {
        id
        backups(orderBy: { field: NAME, direction: ASC }) {
          totalCount
          edges { cursor node { name policyId policy { id } service { id } organization { id } } }
        }
        backup(name: "catalog-nightly-002") { name status dbName collectionNames }
        missing: backup(name: "nope") { name }
        policies { id serviceId organizationId scheduleCron retentionCount isActive createdAt updatedAt service { id } }
        active: policies(isActive: true) { id }
        inactive: policies(isActive: false) { id }
        policy(id: $policy) { id retentionCount }
        noPolicy: policy(id: "00000000-0000-4000-8000-000000000000") { id }
      }
    }`, { variables: { id: CATALOG, policy: DEMO_POLICY_ID.toUpperCase() } })
    t.notOk(body.errors)
    const s = body.data.service
    t.same(s.backups.edges.map((e: { node: { name: string } }) => e.node.name), ['catalog-manual-003', 'catalog-nightly-001', 'catalog-nightly-002'])
    t.ok(s.backups.edges.every((e: { cursor: string }) => typeof e.cursor === 'string' && e.cursor.length > 0))
    const nightly = s.backups.edges[1].node
    t.same(nightly, { name: 'catalog-nightly-001', policyId: DEMO_POLICY_ID, policy: { id: DEMO_POLICY_ID }, service: { id: CATALOG }, organization: { id: DEMO_ORG_ID } })
    t.same(s.backups.edges[0].node.policy, null, 'a manual backup has no policy')
    t.same(s.backup, { name: 'catalog-nightly-002', status: 'COMPLETED', dbName: 'catalog', collectionNames: ['products', 'categories'] })
    t.equal(s.missing, null)
    t.equal(s.policies.length, 1)
    t.match(s.policies[0], { id: DEMO_POLICY_ID, serviceId: CATALOG, organizationId: DEMO_ORG_ID, scheduleCron: '0 2 * * *', retentionCount: 7, isActive: true, service: { id: CATALOG } })
    t.match(s.policies[0].createdAt, RFC3339_UTC)
    t.same(s.active, [{ id: DEMO_POLICY_ID }])
    t.same(s.inactive, [])
    t.same(s.policy, { id: DEMO_POLICY_ID, retentionCount: 7 }, 'policy ids match in any case')
    t.equal(s.noPolicy, null)
  })

  t.test('service: paging forward with cursors and backward with last/before', async (t) => {
    const q = `query P($after: String, $before: String, $first: Int, $last: Int) {
      organization(id: "${DEMO_ORG_ID}") { backups(first: $first, after: $after, last: $last, before: $before) {
        totalCount edges { node { name } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } }`
    const names: string[] = []
    let after: string | null = null
    let pages = 0
    for (;;) {
      const { body } = await gql(app, q, { variables: { first: 3, after } })
      const page = body.data.organization.backups
      t.equal(page.totalCount, DEMO_BACKUPS.length)
      t.equal(page.pageInfo.hasPreviousPage, pages > 0)
      names.push(...page.edges.map((e: { node: { name: string } }) => e.node.name))
      pages++
      if (!page.pageInfo.hasNextPage) break
      after = page.pageInfo.endCursor
    }
    t.equal(pages, 3)
    t.same(names, [...DEMO_BACKUPS].sort((a, b) => a.ageMs - b.ageMs).map((b) => b.name))

    const { body: tail } = await gql(app, q, { variables: { last: 2 } })
    t.same(tail.data.organization.backups.edges.map((e: { node: { name: string } }) => e.node.name), names.slice(-2))
    const { body: before } = await gql(app, q, { variables: { last: 2, before: tail.data.organization.backups.pageInfo.startCursor } })
    t.same(before.data.organization.backups.edges.map((e: { node: { name: string } }) => e.node.name), names.slice(-4, -2))
    t.same(before.data.organization.backups.pageInfo.hasNextPage, true)

    sim.resetCalls()
    const { body: bad } = await gql(app, q, { variables: { first: -1 } })
    t.same(codes(bad), ['BAD_USER_INPUT'])
    t.equal(bad.errors?.[0]?.extensions.field, 'first')
    const { body: badCursor } = await gql(app, q, { variables: { after: 'bogus' } })
    t.equal(badCursor.errors?.[0]?.extensions.field, 'after')
    t.same(badCursor.data, { organization: { backups: null } })
    t.equal(sim.callCount(), 0, 'judged before the list was fetched')
  })

  t.test('an organization asked by an upper-case UUID is one entity (the ids its backups carry), fetched once', async (t) => {
    sim.resetCalls()
    const { body } = await gql(app, `query O($id: ID!) {
      organization(id: $id) { id backups(first: 1) { nodes { organizationId organization { id } } } }
      b: backup(serviceId: "${CATALOG}", name: "catalog-nightly-001") { organization { id backups { totalCount } } }
    }`, { variables: { id: DEMO_ORG_ID.toUpperCase() } })
    t.notOk(body.errors)
    const node = body.data.organization.backups.nodes[0]
    t.same([body.data.organization.id, node.organizationId, node.organization.id], [DEMO_ORG_ID, DEMO_ORG_ID, DEMO_ORG_ID])
    t.equal(sim.callCount('ListBackupByOrg'), 1, 'one list call for one organization')
  })

  t.test('a backup has one id wherever it is reached, and no two backups share one (normalized client caches)', async (t) => {
    const { body } = await gql(app, `{
      organization(id: "${DEMO_ORG_ID}") { backups { nodes { id name serviceId } } }
      service(id: "${CATALOG}") { backups { nodes { id name } } backup(name: "catalog-nightly-001") { id } }
      backup(serviceId: "${CATALOG}", name: "catalog-nightly-001") { id service { backups(first: 1) { nodes { id } } } }
    }`)
    t.notOk(body.errors)
    const all = body.data.organization.backups.nodes as Array<{ id: string, name: string, serviceId: string }>
    t.equal(new Set(all.map((b) => b.id)).size, all.length, 'one id per backup')
    const byName = new Map(all.filter((b) => b.serviceId === CATALOG).map((b) => [b.name, b.id]))
    for (const b of body.data.service.backups.nodes as Array<{ id: string, name: string }>) t.equal(b.id, byName.get(b.name), `${b.name}: the same in the service's list`)
    const one = byName.get('catalog-nightly-001')
    t.ok(one)
    t.equal(body.data.service.backup.id, one, "the service's lookup")
    t.equal(body.data.backup.id, one, 'the backup query')
    t.match(one, /^[A-Za-z0-9_-]+$/, 'opaque, URL-safe')
    // Built from the pair, unambiguous whatever the names hold: no two pairs meet.
    t.not(backupId({ serviceId: 'a","b', name: 'c' }), backupId({ serviceId: 'a', name: 'b","c' }))
    t.not(backupId({ serviceId: 'svc-1', name: 'x' }), backupId({ serviceId: 'svc-2', name: 'x' }), 'the same name in two services: two backups')
  })

  t.test("bad paging arguments are the caller's BAD_USER_INPUT before any call, whatever the upstream would have said", async (t) => {
    for (const args of ['first: -1', 'last: -2', 'after: "bogus"', 'before: "bogus"']) {
      sim.resetCalls()
      const { body } = await gql(app, `{ service(id: "${CATALOG}") { backups(${args}) { totalCount } } }`)
      t.same(codes(body), ['BAD_USER_INPUT'], args)
      t.equal(sim.callCount(), 0, `${args}: no upstream call`)
    }
    sim.faults.failNext(1, GrpcStatus.UNAVAILABLE)
    const { body: down } = await gql(app, `{ service(id: "${CATALOG}") { backups(first: -1) { totalCount } } }`)
    t.same(codes(down), ['BAD_USER_INPUT'], 'not UPSTREAM_UNAVAILABLE')
    sim.clearFaults()
    const { body: other } = await gql(app, `{ service(id: "${CATALOG}") { backups(after: "bogus") { totalCount } } }`, { headers: { authorization: `Bearer ${OTHER_TOKEN}` } })
    t.same(codes(other), ['BAD_USER_INPUT'], "not FORBIDDEN: another organization's service")
  })

  t.test('backup(serviceId, name): the backup, null when absent, BAD_USER_INPUT before the upstream', async (t) => {
    const { body } = await gql(app, `{
      b: backup(serviceId: "${ANALYTICS}", name: "analytics-events-001") { name serviceId service { id } }
      none: backup(serviceId: "${ANALYTICS}", name: "analytics-events-999") { name }
    }`)
    t.notOk(body.errors)
    t.same(body.data, { b: { name: 'analytics-events-001', serviceId: ANALYTICS, service: { id: ANALYTICS } }, none: null })

    sim.resetCalls()
    const { body: bad } = await gql(app, '{ backup(serviceId: "", name: "x") { name } }')
    t.same(bad.data, { backup: null })
    t.same(codes(bad), ['BAD_USER_INPUT'])
    t.equal(bad.errors?.[0]?.extensions.field, 'serviceId')
    t.same(bad.errors?.[0]?.path, ['backup'])
    t.equal(sim.callCount(), 0)
  })

  t.test('service: main error, another organization\'s service is FORBIDDEN; bad ids never reach the upstream', async (t) => {
    const { body } = await gql(app, `{ service(id: "${CATALOG}") { id backups { totalCount } } }`, { headers: { authorization: `Bearer ${OTHER_TOKEN}` } })
    t.same(body.data, { service: { id: CATALOG, backups: null } })
    t.same(codes(body), ['FORBIDDEN'])
    t.match(body.errors?.[0]?.message, /belongs to another organization/)

    sim.resetCalls()
    const { body: bad } = await gql(app, `{
      empty: service(id: " ") { id }
      org: organization(id: "acme") { id }
      svc: service(id: "${CATALOG}") { policy(id: "p-1") { id } backup(name: "") { name } }
      named: backup(serviceId: "${CATALOG}", name: "") { name }
    }`)
    t.same(bad.data, { empty: null, org: null, svc: { policy: null, backup: null }, named: null })
    const byPath = new Map(bad.errors?.map((e) => [e.path?.join('.'), [e.extensions.code, e.extensions.field, e.message]]))
    t.same([...byPath.keys()].sort(), ['empty', 'named', 'org', 'svc.backup', 'svc.policy'])
    t.same(byPath.get('org'), ['BAD_USER_INPUT', 'id', 'id must be a UUID'])
    t.same(byPath.get('svc.policy')?.slice(0, 2), ['BAD_USER_INPUT', 'id'])
    t.same(byPath.get('empty')?.slice(0, 2), ['BAD_USER_INPUT', 'id'])
    t.same(byPath.get('svc.backup'), ['BAD_USER_INPUT', 'name', 'name is required'], "a service's backup by an empty name, as the backup query says")
    t.same(byPath.get('named'), ['BAD_USER_INPUT', 'name', 'name is required'])
    t.equal(sim.callCount(), 0)
  })

  t.test('BackupPolicy.nextRuns: the next UTC runs of the cron, from the injected clock', async (t) => {
    // 01:30 UTC: the seeded policy's first run (daily at 02:00) is half an hour away.
    const now = FAKE_EPOCH + 90 * 60_000
    const clocked = await buildClockedGraphqlApp(t, sim, () => now)
    const { body } = await gql(clocked, `{ service(id: "${CATALOG}") { policies { nextRuns three: nextRuns(count: 3) none: nextRuns(count: 0) byNull: nextRuns(count: null) } } }`)
    t.notOk(body.errors)
    const day = (n: number): string => new Date(FAKE_EPOCH + 2 * 3_600_000 + n * 24 * 3_600_000).toISOString()
    const policy = body.data.service.policies[0]
    t.same(policy.nextRuns, [day(0), day(1), day(2), day(3), day(4)], 'five by default, daily at 02:00 UTC')
    t.same(policy.three, [day(0), day(1), day(2)])
    t.same(policy.none, [])
    t.same(policy.byNull, policy.nextRuns, 'an explicit null count is the default')

    const { body: bad } = await gql(clocked, `{ service(id: "${CATALOG}") { policies { id nextRuns(count: 101) } } }`)
    t.same(codes(bad), ['BAD_USER_INPUT'])
    t.equal(bad.errors?.[0]?.extensions.field, 'count')
    t.same(bad.errors?.[0]?.path, ['service', 'policies', 0, 'nextRuns'])
    t.same(bad.data.service.policies, [{ id: DEMO_POLICY_ID, nextRuns: null }], 'a bad count nulls nextRuns alone, not the policy')
  })
})
