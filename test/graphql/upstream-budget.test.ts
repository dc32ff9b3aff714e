/**
 * GRAPHQL_MAX_UPSTREAM_CALLS: what one HTTP request, a batch included, may
 * ask of VBase in all, counted at the simulator. The per-operation limits
 * (aliases, cost, batch size) let ten operations of fifty aliases each make
 * a thousand calls for one request; past the budget a field fails on its
 * own, with RESOURCE_EXHAUSTED, and the fields within it keep their data.
 * Requests send `Cache-Control: no-cache` (helpers.ts): every read reaches
 * the simulator.
 */
import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { DEMO_ORG_ID, DEMO_SERVICE_IDS } from '../../src/simulator/index.js'
import { buildTestApp } from '../helpers/app.js'
import { FakeClock } from '../helpers/clock.js'
import { gql, headersOf, type GqlBody, type GqlError } from './helpers.js'

const [CATALOG] = DEMO_SERVICE_IDS

const TOO_MANY = (max: number): RegExp => new RegExp(`^this request reached its limit of ${max} calls to the backup service \\(GRAPHQL_MAX_UPSTREAM_CALLS\\)`)

/** One operation reading the backups of `n` distinct services, one alias each. */
function servicesQuery (n: number, prefix: string): string {
  return `{ ${Array.from({ length: n }, (_, i) => `a${i}: service(id: "${prefix}-${i}") { backups { totalCount } }`).join(' ')} }`
}

/** One operation creating `n` backups, one alias each. */
function createsMutation (n: number, prefix: string): string {
  const create = (i: number): string => `a${i}: createBackup(input: { serviceId: "${CATALOG}", organizationId: "${DEMO_ORG_ID}", ` +
    `dbName: "catalog", collectionNames: ["docs"], backupName: "${prefix}-${i}" }) { backup { name } }`
  return `mutation { ${Array.from({ length: n }, (_, i) => create(i)).join(' ')} }`
}

function errorsOf (bodies: GqlBody[]): GqlError[] {
  return bodies.flatMap((b) => b.errors ?? [])
}

t.test('the default is 100 calls per request', async (t) => {
  t.equal(loadConfig({}).GRAPHQL_MAX_UPSTREAM_CALLS, 100)
})

t.test('a batch of ten operations of fifty aliases each makes 100 upstream calls, not 1000', async (t) => {
  const { app, sim, logs } = await buildTestApp(t, { env: { LOG_LEVEL: 'info' }, simulator: { clock: new FakeClock() } })

  t.test('reads', async (t) => {
    sim.resetCalls()
    const payload = Array.from({ length: 10 }, (_, op) => ({ query: servicesQuery(50, `svc-amp-${op}`) }))
    const before = logs.length
    const res = await app.inject({ method: 'POST', url: '/graphql', headers: headersOf(), payload })
    const lines = logs.slice(before).map((l) => JSON.parse(l) as { msg: string, count?: number, code?: string })
    const errorLines = lines.filter((l) => l.msg === 'graphql error')
    // The first two operations spent the 100 calls; each of the eight others has its 50 fields refused.
    t.same(errorLines.map((l) => l.count), Array.from({ length: 8 }, () => 50), 'the 400 refused fields make one log line per operation, with its count, not one each')
    t.ok(errorLines.every((l) => l.code === 'RESOURCE_EXHAUSTED'))
    t.equal(errorLines.reduce((sum, l) => sum + (l.count ?? 1), 0), 400, 'each with how many fields it failed')
    t.equal(res.statusCode, 200, 'a field error, not a request error: the rest of the data stands')
    const bodies = res.json() as GqlBody[]
    t.equal(sim.callCount('ListBackups'), 100)
    t.equal(sim.callCount(), 100, 'and nothing else')
    const answered = bodies.flatMap((b) => Object.values(b.data ?? {}) as Array<{ backups: unknown }>).filter((v) => v.backups !== null)
    t.equal(answered.length, 100, 'a field within the budget keeps its data')
    const refused = errorsOf(bodies)
    t.equal(refused.length, 400)
    t.ok(refused.every((e) => e.extensions.code === 'RESOURCE_EXHAUSTED' && e.extensions.grpcStatus === 'RESOURCE_EXHAUSTED'), 'each refused field says why')
    t.match(refused[0]?.message, TOO_MANY(100))
  })

  t.test('writes', async (t) => {
    sim.resetCalls()
    const payload = Array.from({ length: 10 }, (_, op) => ({ query: createsMutation(50, `amp-${op}`) }))
    const res = await app.inject({ method: 'POST', url: '/graphql', headers: headersOf(), payload })
    t.equal(res.statusCode, 200)
    const bodies = res.json() as GqlBody[]
    t.equal(sim.callCount('CreateBackup'), 100, 'a refused write is never sent')
    t.equal(errorsOf(bodies).filter((e) => e.extensions.code === 'RESOURCE_EXHAUSTED').length, 400)
  })
})

t.test('the budget is configurable, counts the batch together and does not count memoized reads', async (t) => {
  const { app, sim } = await buildTestApp(t, { env: { GRAPHQL_MAX_UPSTREAM_CALLS: '3' }, simulator: { clock: new FakeClock() } })

  t.test('one operation: the first three distinct services are read, the other two fail alone', async (t) => {
    sim.resetCalls()
    const { status, body } = await gql(app, servicesQuery(5, 'svc-budget'))
    t.equal(status, 200)
    t.equal(sim.callCount(), 3)
    t.equal(Object.values(body.data).filter((v) => (v as { backups: unknown }).backups !== null).length, 3)
    t.equal(body.errors?.length, 2)
    t.match(body.errors?.[0], { message: TOO_MANY(3), extensions: { code: 'RESOURCE_EXHAUSTED' } })
  })

  t.test('the same list asked for by many fields is one call', async (t) => {
    sim.resetCalls()
    const fields = Array.from({ length: 10 }, (_, i) => `a${i}: service(id: "${CATALOG}") { backups { totalCount } b: backups(first: 1) { totalCount } }`)
    const { body } = await gql(app, `{ ${fields.join(' ')} }`)
    t.notOk(body.errors)
    t.equal(sim.callCount(), 1)
  })

  t.test('the operations of a batch share one budget', async (t) => {
    sim.resetCalls()
    const payload = [{ query: servicesQuery(2, 'svc-one') }, { query: servicesQuery(2, 'svc-two') }]
    const res = await app.inject({ method: 'POST', url: '/graphql', headers: headersOf(), payload })
    t.equal(sim.callCount(), 3)
    t.equal(errorsOf(res.json() as GqlBody[]).length, 1)
  })

  t.test('each request has its own budget', async (t) => {
    sim.resetCalls()
    for (let i = 0; i < 3; i++) t.notOk((await gql(app, servicesQuery(3, `svc-again-${i}`))).body.errors)
    t.equal(sim.callCount(), 9)
  })

  t.test('a write past the budget is not sent, and says so', async (t) => {
    sim.resetCalls()
    const { body } = await gql(app, createsMutation(4, 'budget'))
    t.equal(sim.callCount('CreateBackup'), 3)
    t.same(Object.keys(body.data).filter((k) => body.data[k] !== null), ['a0', 'a1', 'a2'], 'mutations run in order: the last one is refused')
    t.match(body.errors, [{ path: ['a3'], message: TOO_MANY(3), extensions: { code: 'RESOURCE_EXHAUSTED' } }])
  })
})
