/**
 * BackupPolicy.nextRuns is computed by the gateway, synchronously, from
 * policies the caller makes: one request's croner work is bounded. Runs are
 * memoized per request by schedule (aliases and equal schedules compute
 * nothing new) and what new runs cost comes out of a per-request budget.
 * Counted on croner itself (Cron#nextRuns, which only this resolver calls),
 * never timed.
 */
import { Cron } from 'croner'
import t, { type Test } from 'tap'
import { MAX_NEXT_RUNS, MAX_NEXT_RUNS_PER_REQUEST } from '../../src/graphql/resolvers.js'
import { DEMO_ORG_ID, startSimulator, type Simulator } from '../../src/simulator/index.js'
import { FakeClock, FAKE_EPOCH } from '../helpers/clock.js'
import { TestClient } from '../simulator/client.js'
import { buildClockedGraphqlApp, gql, headersOf, type GqlBody } from './helpers.js'

const SVC = 'svc-next-runs'

/** A simulator on a manual clock (no policy fires) holding one policy per cron and service, made straight on it. */
async function simulatorWith (t: Test, crons: Record<string, string[]>): Promise<Simulator> {
  const sim = await startSimulator({ port: 0, clock: new FakeClock(), seed: false })
  t.teardown(() => sim.close())
  const client = new TestClient(sim.address)
  t.teardown(() => client.close())
  for (const [service, list] of Object.entries(crons)) {
    for (const cron of list) {
      await client.call('CreateBackupPolicy', { service_id: service, organization_id: DEMO_ORG_ID, schedule_cron: cron, retention_count: 1 })
    }
  }
  return sim
}

/** Spy on croner: how many computations ran, and how many run times they made. */
function croner (t: Test): () => { calls: number, runs: number } {
  const captured = t.capture(Cron.prototype, 'nextRuns', Cron.prototype.nextRuns)
  return () => {
    const calls = captured.calls
    return { calls: calls.length, runs: calls.reduce((n, c) => n + ('returned' in c ? c.returned.length : 0), 0) }
  }
}

type Policy = Record<string, string[] | null>

function policiesOf (body: GqlBody): Policy[] {
  return body.data.service.policies as Policy[]
}

t.test('aliases and policies of one schedule share one computation per request', async (t) => {
  const sim = await simulatorWith(t, { [SVC]: ['0 0 29 2 *', '0 0 29 2 *', '0 0 29 2 *'] })
  const app = await buildClockedGraphqlApp(t, sim, () => FAKE_EPOCH)
  const spy = croner(t)
  const aliases = Array.from({ length: 49 }, (_, i) => `r${i}: nextRuns(count: ${MAX_NEXT_RUNS})`).join(' ')
  const { body } = await gql(app, `{ service(id: "${SVC}") { policies { ${aliases} few: nextRuns(count: 3) } } }`)
  t.notOk(body.errors)
  const policies = policiesOf(body)
  t.equal(policies.length, 3)
  const first = policies[0]?.r0 as string[]
  t.equal(first.length, MAX_NEXT_RUNS)
  t.same(first.slice(0, 2), ['2028-02-29T00:00:00.000Z', '2032-02-29T00:00:00.000Z'], 'from the injected clock')
  const aliasRuns = (policy: Policy): unknown[] => Array.from({ length: 49 }, (_, i) => policy[`r${i}`])
  t.same(policies.map(aliasRuns), policies.map(() => Array(49).fill(first)), 'every alias of every policy, the same runs')
  t.same(policies.map((p) => p.few), policies.map(() => first.slice(0, 3)), 'a smaller count is the start of the same runs')
  // Without the memo: 3 policies x 50 fields, 14,709 run times.
  t.same(spy(), { calls: 1, runs: MAX_NEXT_RUNS }, 'one computation of 100 runs for 150 fields')
})

t.test('a larger count computes only the runs past those already known', async (t) => {
  const sim = await simulatorWith(t, { [SVC]: ['0 2 * * *'] })
  const app = await buildClockedGraphqlApp(t, sim, () => FAKE_EPOCH)
  const spy = croner(t)
  const { body } = await gql(app, `{ service(id: "${SVC}") { policies { a: nextRuns(count: 3) b: nextRuns(count: 10) c: nextRuns(count: 3) } } }`)
  t.notOk(body.errors)
  const [policy] = policiesOf(body)
  const day = (n: number): string => new Date(FAKE_EPOCH + 2 * 3_600_000 + n * 86_400_000).toISOString()
  t.same(policy?.b, Array.from({ length: 10 }, (_, n) => day(n)), 'ten days at 02:00, continued without a gap or a repeat')
  t.same(policy?.a, policy?.b?.slice(0, 3))
  t.same(policy?.c, policy?.a)
  t.same(spy(), { calls: 2, runs: 10 }, '3, then the 7 after them')
})

t.test('one request computes at most MAX_NEXT_RUNS_PER_REQUEST run times; past it, the field fails alone', async (t) => {
  const policies = MAX_NEXT_RUNS_PER_REQUEST / MAX_NEXT_RUNS + 2
  // Distinct schedules, so the memo cannot help: minute i of each 29 February.
  const sim = await simulatorWith(t, { [SVC]: Array.from({ length: policies }, (_, i) => `${i} 0 29 2 *`) })
  const app = await buildClockedGraphqlApp(t, sim, () => FAKE_EPOCH)
  const spy = croner(t)
  const query = `{ service(id: "${SVC}") { policies { scheduleCron nextRuns(count: ${MAX_NEXT_RUNS}) } } }`
  const { status, body } = await gql(app, query)
  t.equal(status, 200)
  const got = policiesOf(body)
  t.equal(got.length, policies, 'every policy is there')
  t.equal(got.filter((p) => p.nextRuns?.length === MAX_NEXT_RUNS).length, policies - 2, 'the first ten have their runs')
  t.equal(got.filter((p) => p.nextRuns === null).length, 2, 'the last two are null, the policy itself stands')
  t.equal(body.errors?.length, 2)
  for (const error of body.errors ?? []) {
    t.match(error, {
      message: /^count would take this request past the 1000 run times its nextRuns fields may compute in all/,
      path: ['service', 'policies', Number, 'nextRuns'],
      extensions: { code: 'BAD_USER_INPUT', field: 'count' }
    })
  }
  t.same(spy(), { calls: policies - 2, runs: MAX_NEXT_RUNS_PER_REQUEST }, 'croner computed the budget, not more')

  // The budget is the request's: the next one starts afresh.
  const { body: again } = await gql(app, query)
  t.equal(again.errors?.length, 2)
  t.same(spy(), { calls: 2 * (policies - 2), runs: 2 * MAX_NEXT_RUNS_PER_REQUEST })
})

t.test("a batch's operations share their request's budget", async (t) => {
  // Two services of six policies each, twelve schedules in all: 1200 runs asked, 1000 given.
  const services = ['svc-batch-a', 'svc-batch-b']
  const sim = await simulatorWith(t, Object.fromEntries(services.map((id, s) => [id, Array.from({ length: 6 }, (_, i) => `${6 * s + i} 0 29 2 *`)])))
  const app = await buildClockedGraphqlApp(t, sim, () => FAKE_EPOCH)
  const spy = croner(t)
  const ops = services.map((id) => ({ query: `{ service(id: "${id}") { policies { nextRuns(count: ${MAX_NEXT_RUNS}) } } }` }))
  const res = await app.inject({ method: 'POST', url: '/graphql', headers: headersOf(), payload: ops })
  const answers = res.json() as GqlBody[]
  t.equal(answers.length, 2)
  // The operations run concurrently: which one meets the bound first is not fixed.
  t.equal(answers.flatMap((a) => a.errors ?? []).filter((e) => e.extensions.field === 'count').length, 2, 'two fields past the bound in all')
  t.same(spy(), { calls: 10, runs: MAX_NEXT_RUNS_PER_REQUEST })
})

t.test('a search that finds no run costs as much as a hundred runs found', async (t) => {
  // Never firing: the gateway and the simulator refuse such a schedule on a write, but another client may have left one.
  const policies = 12
  const sim = await simulatorWith(t, {})
  for (let i = 0; i < policies; i++) sim.storePolicy({ serviceId: SVC, organizationId: DEMO_ORG_ID, scheduleCron: `${i} 0 31 2 *` })
  const app = await buildClockedGraphqlApp(t, sim, () => FAKE_EPOCH)
  const spy = croner(t)
  const { body } = await gql(app, `{ service(id: "${SVC}") { policies { nextRuns(count: 1) } } }`)
  const got = policiesOf(body)
  // Each charged 1 + 100: ten searches fit in 1000.
  t.same(got.filter((p) => Array.isArray(p.nextRuns) && p.nextRuns.length === 0).length, 10, 'ten searched, none fires')
  t.same(body.errors?.map((e) => e.extensions.code), ['BAD_USER_INPUT', 'BAD_USER_INPUT'])
  t.same(spy(), { calls: 10, runs: 0 })
})
