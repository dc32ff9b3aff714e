/**
 * GRAPHQL_MAX_NODES: what one request's answer may list, a batch included.
 * `Backup.organization` leads back to the organization's list, which the
 * request has already fetched, so a query within the depth, alias and cost
 * limits lists the organization's backups inside each of its backups: N^3
 * items from one upstream call. A security QA pass ran the process out of
 * memory that way with 1189 backups. Each list takes its items, and one,
 * from the budget where it is written into the answer (identical lists
 * nested in N parents are one loader answer, N lists in the response).
 * The first list past it is null with RESOURCE_EXHAUSTED; every list after
 * it is empty, and that one error says how many: an error each would cost
 * more than the lists (tens of thousands, with fifty aliases).
 */
import t, { type Test } from 'tap'
import { loadConfig } from '../../src/config.js'
import { DEMO_ORG_ID } from '../../src/simulator/index.js'
import { buildTestApp } from '../helpers/app.js'
import { FakeClock } from '../helpers/clock.js'
import { gql, headersOf, type GqlBody } from './helpers.js'

const SVC = 'svc-nodes'
/** Backups this test adds to the demo organization, which holds a few already. */
const ADDED = 40

const TOO_MANY = (max: number): RegExp => new RegExp(`^this request reached its limit of ${max} listed items in its answer \\(GRAPHQL_MAX_NODES\\)`)

/** The organization's backups, nested `depth` times through each backup's organization. */
function nested (depth: number, leaf = 'name'): string {
  let inner = leaf
  for (let i = 1; i < depth; i++) inner = `name organization { backups { nodes { ${inner} } } }`
  return `{ organization(id: "${DEMO_ORG_ID}") { backups { nodes { ${inner} } } } }`
}

/** How many objects with a `name` the answer holds: the backups it lists. */
function names (body: unknown): number {
  return (JSON.stringify(body).match(/"name":/g) ?? []).length
}

async function seeded (t: Test, env: Record<string, string> = {}) {
  const built = await buildTestApp(t, { env, simulator: { clock: new FakeClock() } })
  const create = (i: number): string => `a${i}: createBackup(input: { serviceId: "${SVC}", organizationId: "${DEMO_ORG_ID}", ` +
    `dbName: "db", collectionNames: ["c"], backupName: "nodes-${i}" }) { backup { name } }`
  const { body } = await gql(built.app, `mutation { ${Array.from({ length: ADDED }, (_, i) => create(i)).join(' ')} }`)
  t.notOk(body.errors, 'seeded')
  const { body: count } = await gql(built.app, `{ organization(id: "${DEMO_ORG_ID}") { backups { totalCount } } }`)
  const n = count.data.organization.backups.totalCount as number
  t.ok(n > ADDED, `${n} backups in the organization`)
  return { ...built, n }
}

t.test('the default is 10000', async (t) => {
  t.equal(loadConfig({}).GRAPHQL_MAX_NODES, 10000)
})

t.test('the default budget: N^2 answered whole, N^3 cut at the budget, and the process answers on', async (t) => {
  const { app, sim, n } = await seeded(t)

  const square = await gql(app, nested(2))
  t.notOk(square.body.errors, `${n} x ${n} backups (${n * n + n}) fit in 10000`)
  t.equal(names(square.body), n * n + n)

  sim.resetCalls()
  const cube = await gql(app, nested(3))
  t.equal(cube.status, 200)
  const listed = names(cube.body)
  t.ok(listed < 10000, `the answer lists ${listed} backups, not ${n * n * n + n * n + n}`)
  t.equal(cube.body.errors?.length, 1, 'one error')
  t.match(cube.body.errors?.[0], { message: TOO_MANY(10000), extensions: { code: 'RESOURCE_EXHAUSTED' } })
  t.match(cube.body.errors?.[0]?.message, /; this list is null, and the \d+ lists after it are empty$/, 'and how many lists it cut')
  t.equal(sim.callCount(), 1, 'one upstream call for all of it')

  const after = await gql(app, `{ organization(id: "${DEMO_ORG_ID}") { backups { totalCount } } }`)
  t.notOk(after.body.errors, 'the next request has a budget of its own')
})

t.test('the budget is configurable and counts every list where it is answered, across a batch', async (t) => {
  const { app } = await seeded(t, { GRAPHQL_MAX_NODES: '70' })
  const page = (alias: string): string => `${alias}: organization(id: "${DEMO_ORG_ID}") { backups(first: 30) { nodes { name } } }`

  const two = await gql(app, `{ ${page('a')} ${page('b')} }`)
  t.notOk(two.body.errors, 'two pages of 30')
  const three = await gql(app, `{ ${page('a')} ${page('b')} ${page('c')} }`)
  t.match(three.body.errors, [{ path: ['c', 'backups', 'nodes'], message: TOO_MANY(70), extensions: { code: 'RESOURCE_EXHAUSTED' } }])
  t.equal(names(three.body), 60)
  const four = await gql(app, `{ ${page('a')} ${page('b')} ${page('c')} d: organization(id: "${DEMO_ORG_ID}") { backups(first: 1) { nodes { name } } } }`)
  t.same([four.body.data.c, four.body.data.d], [{ backups: null }, { backups: { nodes: [] } }], 'the first list past the budget is null, the next one empty')
  t.equal(four.body.errors?.length, 1)
  t.match(four.body.errors?.[0]?.message, /; this list is null, and the list after it is empty$/)

  const batch = await app.inject({ method: 'POST', url: '/graphql', headers: headersOf(), payload: [page('a'), page('b'), page('c')].map((p) => ({ query: `{ ${p} }` })) })
  const bodies = batch.json() as GqlBody[]
  t.equal(bodies.filter((b) => b.errors === undefined).length, 2, 'the operations of a batch share the budget')
  // Each operation whose lists are cut says so, its list null: an empty list without an error is
  // data a client caches (a QA pass: BatchHttpLink cached lists another query's cut had emptied).
  // The operations run concurrently, so which ones fit is not fixed: two lists of 30 do, of 70.
  const one = (alias: string): string => `{ ${alias}: organization(id: "${DEMO_ORG_ID}") { backups(first: 30) { totalCount nodes { name } } } }`
  const aliases = ['a', 'b', 'c', 'd']
  const cut = await app.inject({ method: 'POST', url: '/graphql', headers: headersOf(), payload: aliases.map((alias) => ({ query: one(alias) })) })
  const answers = cut.json() as GqlBody[]
  let fitting = 0
  answers.forEach((body, i) => {
    const alias = aliases[i] as string
    const list = (body.data?.[alias] as { backups: { nodes: unknown[] } | null } | undefined)?.backups
    if (body.errors === undefined) {
      fitting++
      t.equal(list?.nodes.length, 30, `${alias}: complete, or it would say it is not`)
    } else {
      t.match(body.errors, [{ path: [alias, 'backups', 'nodes'], message: TOO_MANY(70), extensions: { code: 'RESOURCE_EXHAUSTED' } }], `${alias}: its own error`)
      t.equal(body.errors.length, 1)
      t.equal(list, null, `${alias}: its list null`)
    }
  })
  t.equal(fitting, 2, 'two lists of 30 fit in 70; the other two operations each say why theirs is not there')

  const edges = await gql(app, `{ organization(id: "${DEMO_ORG_ID}") { backups(first: 30) { nodes { name } edges { cursor } } } }`)
  t.notOk(edges.body.errors, 'nodes and edges of one page: 60')
  const both = await gql(app, `{ ${page('a')} organization(id: "${DEMO_ORG_ID}") { backups(first: 30) { nodes { name } edges { cursor } } } }`)
  t.match(both.body.errors, [{ path: ['organization', 'backups', 'edges'] }], 'edges count as the nodes do')

  // The services, and each one's policies, are lists too: here nested in each of 30 backups.
  const services = await gql(app, `{ organization(id: "${DEMO_ORG_ID}") { backups(first: 30) { nodes { organization { services { id } } } } } }`)
  t.ok(services.body.errors?.some((e) => e.extensions.code === 'RESOURCE_EXHAUSTED' && e.path?.at(-1) === 'services'), 'services lists past the budget are refused')
  const policies = await gql(app, `{ organization(id: "${DEMO_ORG_ID}") { backups(first: 30) { nodes { service { policies { id } } } } } }`)
  t.notOk(policies.body.errors, 'a service without policies lists nothing')

  const create = (i: number): string => `p${i}: createBackupPolicy(input: { serviceId: "${SVC}", organizationId: "${DEMO_ORG_ID}", scheduleCron: "0 ${i} * * *", retentionCount: 1 }) { policy { id } }`
  t.notOk((await gql(app, `mutation { ${Array.from({ length: 6 }, (_, i) => create(i)).join(' ')} }`)).body.errors)
  const cycle = await gql(app, `{ service(id: "${SVC}") { policies { service { policies { service { policies { id } } } } } } }`)
  t.ok(cycle.body.errors?.some((e) => e.extensions.code === 'RESOURCE_EXHAUSTED' && e.path?.at(-1) === 'policies'), 'policies through their service: 6 + 36 + 216 is past 70')
  t.ok(names(cycle.body) === 0 && JSON.stringify(cycle.body).split('"id":').length - 1 <= 70, 'and the answer stays within it')
})

t.test('collection names count a tenth of an item each', async (t) => {
  const { app } = await seeded(t, { GRAPHQL_MAX_NODES: '100' })
  const create = (name: string, count: number) => gql(app, 'mutation C($input: CreateBackupInput!) { createBackup(input: $input) { backup { name } } }', {
    variables: { input: { serviceId: 'svc-names', organizationId: DEMO_ORG_ID, dbName: 'db', backupName: name, collectionNames: Array.from({ length: count }, (_, i) => `c${i}`) } }
  })
  t.notOk((await create('wide', 900)).body.errors)
  const list = '{ service(id: "svc-names") { backups { nodes { name collectionNames policy { id } service { backups { totalCount } } } } } }'
  const one = await gql(app, list)
  t.notOk(one.body.errors, 'a backup and its 900 names: 91 of 100')
  t.equal(one.body.data.service.backups.nodes[0].collectionNames.length, 900)

  t.notOk((await create('wider', 200)).body.errors)
  const two = await gql(app, list)
  t.match(two.body.errors, [{ message: TOO_MANY(100), extensions: { code: 'RESOURCE_EXHAUSTED' } }], '2 backups and 1100 names: 112')
  t.same(two.body.data.service, { backups: null }, 'a list of names cannot be null: the backup holding it, and its list, are')

  // What a QA pass sent: fifty aliases of a list of backups naming thousands of collections.
  const aliases = Array.from({ length: 50 }, (_, i) => `a${i}: service(id: "svc-names") { backups(first: 1) { nodes { collectionNames } } }`).join(' ')
  const many = await gql(app, `{ ${aliases} }`)
  t.equal(many.body.errors?.length, 1)
  t.ok(JSON.stringify(many.body).length < 20_000, 'the answer holds about the budget, not fifty lists of names')
})

t.test("policies' next run times count a tenth each: equal schedules are computed once but written in every field", async (t) => {
  const { app } = await buildTestApp(t, { env: { GRAPHQL_MAX_NODES: '100' }, simulator: { clock: new FakeClock() } })
  const create = (i: number): string => `p${i}: createBackupPolicy(input: { serviceId: "svc-runs", organizationId: "${DEMO_ORG_ID}", scheduleCron: "0 2 * * *", retentionCount: 1 }) { policy { id } }`
  t.notOk((await gql(app, `mutation { ${Array.from({ length: 5 }, (_, i) => create(i)).join(' ')} }`)).body.errors)
  const runs = (n: number): string => Array.from({ length: n }, (_, i) => `r${i}: nextRuns(count: 100)`).join(' ')

  const fits = await gql(app, `{ service(id: "svc-runs") { policies { ${runs(1)} } } }`)
  t.notOk(fits.body.errors, '5 policies and 500 run times: 55 of 100')
  const over = await gql(app, `{ service(id: "svc-runs") { policies { ${runs(3)} } } }`)
  t.match(over.body.errors, [{ message: TOO_MANY(100), extensions: { code: 'RESOURCE_EXHAUSTED' } }], '5 policies and 1500 run times: 155')
  t.equal(over.body.errors?.length, 1)
  const written = (JSON.stringify(over.body.data).match(/T02:00:00/g) ?? []).length
  t.ok(written <= 950, `${written} run times written, within what the budget leaves after the policies`)
})

t.test('a failing field counts one item: past the budget it is empty, with no error of its own', async (t) => {
  const { app } = await buildTestApp(t, { env: { GRAPHQL_MAX_NODES: '20' }, simulator: { clock: new FakeClock() } })
  const create = (i: number): string => `p${i}: createBackupPolicy(input: { serviceId: "svc-fail", organizationId: "${DEMO_ORG_ID}", scheduleCron: "0 2 * * *", retentionCount: 1 }) { policy { id } }`
  t.notOk((await gql(app, `mutation { ${Array.from({ length: 5 }, (_, i) => create(i)).join(' ')} }`)).body.errors)
  // count: 101 is out of range: a field error on each of 5 policies x 10 aliases, 50 in all.
  const bad = Array.from({ length: 10 }, (_, i) => `r${i}: nextRuns(count: 101)`).join(' ')
  const { status, body } = await gql(app, `{ service(id: "svc-fail") { policies { ${bad} } } }`)
  t.equal(status, 200)
  const errors = body.errors ?? []
  t.equal(errors.filter((e) => e.extensions.code === 'BAD_USER_INPUT').length, 15, '5 policies listed, then 15 errors: 20 items')
  t.match(errors.at(-1), { message: TOO_MANY(20), extensions: { code: 'RESOURCE_EXHAUSTED' } }, 'then the budget says why the rest are null')
  t.equal(errors.length, 16)
  const policies = body.data.service.policies as Array<Record<string, unknown>>
  const values = policies.flatMap((p) => Object.values(p))
  t.equal(values.filter((v) => v === null).length, 16, 'a field with an error of its own, or the budget\'s, is null')
  t.same(values.filter((v) => v !== null), Array.from({ length: 34 }, () => []), 'the fields after them are empty, neither computed nor refused')
})

t.test("a backup's policy that the upstream cannot list fails each time on its own: counted, then null", async (t) => {
  const { app, sim } = await buildTestApp(t, { env: { GRAPHQL_MAX_NODES: '100' }, simulator: { clock: new FakeClock() } })
  sim.faults.unimplemented('ListBackupPolicies')
  const aliases = Array.from({ length: 30 }, (_, i) => `p${i}: policy { id }`).join(' ')
  // Each of the organization's backups lists them all again, each with 30 policy lookups: the demo's policy-made ones fail.
  const { body } = await gql(app, `{ organization(id: "${DEMO_ORG_ID}") { backups { nodes { organization { backups { nodes { ${aliases} } } } } } } }`)
  const errors = body.errors ?? []
  t.ok(errors.length > 0 && errors.length <= 101, `${errors.length} errors: within the budget of 100, and its own`)
  t.ok(errors.some((e) => e.extensions.code === 'RESOURCE_EXHAUSTED'), 'the budget says why the rest are null')
})
