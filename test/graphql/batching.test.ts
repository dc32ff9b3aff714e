/**
 * Batching, counted at the simulator: one upstream call per distinct key in
 * an operation whatever the fields and aliases, none for children of an
 * organization's list, a bound on concurrent calls, and batched operations
 * (a JSON array) answered in order. Requests send `Cache-Control: no-cache`
 * (see helpers.ts), so the facade's cache and in-flight dedupe cannot hide
 * a loader that fans out.
 */
import t from 'tap'
import { DEMO_ORG_ID, DEMO_SERVICE_IDS } from '../../src/simulator/index.js'
import { MAX_CONCURRENT_CALLS } from '../../src/graphql/fetcher.js'
import type { Vbase } from '../../src/upstream/vbase.js'
import { buildTestApp } from '../helpers/app.js'
import { FakeClock } from '../helpers/clock.js'
import { codes, gql, headersOf, type GqlBody } from './helpers.js'

const [CATALOG] = DEMO_SERVICE_IDS

t.test('batching', async (t) => {
  const { app, sim } = await buildTestApp(t, { simulator: { clock: new FakeClock() } })

  t.test('backups of 20 services, some repeated through aliases: one ListBackups per distinct service', async (t) => {
    // 20 fields over 12 distinct services: the demo ones, repeated, and 9 never written to.
    const ids = [...DEMO_SERVICE_IDS, ...Array.from({ length: 9 }, (_, i) => `svc-empty-${i}`)]
    const fields = Array.from({ length: 20 }, (_, i) => {
      const id = ids[i % ids.length] as string
      // Different arguments and fields on the same service still share its one call.
      const args = i % 3 === 0 ? '(first: 1)' : i % 3 === 1 ? '(status: [COMPLETED])' : ''
      return `s${i}: service(id: "${id}") { id backups${args} { totalCount } latest: backup(name: "catalog-nightly-002") { name } }`
    })
    sim.resetCalls()
    const { body } = await gql(app, `{ ${fields.join('\n')} top: backup(serviceId: "${CATALOG}", name: "catalog-nightly-001") { name } }`)
    t.notOk(body.errors)
    t.equal(Object.keys(body.data).length, 21)
    t.equal(body.data.s0.backups.totalCount, 3, 'catalog: first pages, totalCount counts the whole list')
    t.equal(body.data.s1.backups.totalCount, 1, 'analytics: one COMPLETED')
    t.equal(body.data.s2.backups.totalCount, 2, 'archive: unfiltered')
    t.same(body.data.s12.latest, { name: 'catalog-nightly-002' })
    t.same(body.data.top, { name: 'catalog-nightly-001' })
    t.equal(sim.callCount('ListBackups'), ids.length, 'one call per distinct service')
    t.same(new Set(sim.calls.map((c) => (c.request as { service_id?: string }).service_id)), new Set(ids))
    t.equal(sim.callCount(), ids.length, 'and nothing else')
  })

  t.test('an organization with its services and their backups: exactly one upstream call', async (t) => {
    sim.resetCalls()
    const { body } = await gql(app, `{
      organization(id: "${DEMO_ORG_ID}") {
        backups(first: 2) { totalCount edges { node { name } } }
        running: backups(status: [RUNNING]) { totalCount }
        services { id backups { totalCount nodes { name status } } backup(name: "catalog-nightly-001") { name } }
      }
      again: organization(id: "${DEMO_ORG_ID}") { services { id } }
    }`)
    t.notOk(body.errors)
    t.equal(body.data.organization.services.length, 3)
    t.equal(body.data.organization.running.totalCount, 1)
    t.equal(sim.callCount(), 1)
    t.equal(sim.callCount('ListBackupByOrg'), 1)
  })

  t.test('policies of every service: one ListBackupPolicies per distinct service', async (t) => {
    sim.resetCalls()
    const { body } = await gql(app, `{
      organization(id: "${DEMO_ORG_ID}") { services { id policies { id } backups { nodes { policy { id } } } } }
      catalog: service(id: "${CATALOG}") { policies { id } }
    }`)
    t.notOk(body.errors)
    t.equal(sim.callCount('ListBackupPolicies'), DEMO_SERVICE_IDS.length)
    t.equal(sim.callCount('ListBackupByOrg'), 1)
    t.equal(sim.callCount(), DEMO_SERVICE_IDS.length + 1)
  })

  t.test('distinct keys go out concurrently, at most MAX_CONCURRENT_CALLS at once', async (t) => {
    const ids = Array.from({ length: 3 * MAX_CONCURRENT_CALLS }, (_, i) => `svc-bound-${i}`)
    // Hold every call at the facade until the test lets it go, counting those
    // in flight: the bound is read off the peak, not off wall-clock time.
    const vbase = app.vbase
    const call = vbase.call
    let inFlight = 0
    let peak = 0
    const held: Array<() => void> = []
    vbase.call = (async (method, request, ctx) => {
      inFlight++
      peak = Math.max(peak, inFlight)
      try {
        await new Promise<void>((resolve) => held.push(resolve))
        return await call.call(vbase, method, request, ctx)
      } finally {
        inFlight--
      }
    }) as Vbase['call']
    t.teardown(() => { vbase.call = call })
    sim.resetCalls()
    let answered = false
    const answer = gql(app, `{ ${ids.map((id, i) => `s${i}: service(id: "${id}") { backups { totalCount } }`).join(' ')} }`)
      .finally(() => { answered = true })
    // One held call goes per turn of the event loop; the limiter refills its slot from the queue.
    while (!answered) {
      await new Promise((resolve) => setImmediate(resolve))
      held.shift()?.()
    }
    const { body } = await answer
    t.notOk(body.errors)
    t.equal(sim.callCount('ListBackups'), ids.length)
    t.ok(peak <= MAX_CONCURRENT_CALLS, `bounded: peak ${peak} <= ${MAX_CONCURRENT_CALLS}`)
    t.ok(peak > 1, `concurrent: peak ${peak} > 1`)
  })

  t.test('batched operations: a JSON array, answered in order, each with its own errors', async (t) => {
    sim.resetCalls()
    const res = await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: headersOf(),
      payload: [
        { query: `query A { service(id: "${CATALOG}") { backups { totalCount } } }` },
        { query: '{ service(id: "x") { nope } }' },
        { query: `query C($id: ID!) { organization(id: $id) { id } }`, variables: { id: 'not-a-uuid' } },
        { query: `query D { s: service(id: "${CATALOG}") { backup(name: "catalog-nightly-001") { name } } }`, operationName: 'D' }
      ]
    })
    t.equal(res.statusCode, 200)
    const answers = res.json() as GqlBody[]
    t.equal(answers.length, 4)
    t.same(answers[0], { data: { service: { backups: { totalCount: 3 } } } })
    t.same(codes(answers[1] as GqlBody), ['GRAPHQL_VALIDATION_FAILED'])
    t.notOk('data' in (answers[1] as GqlBody), 'a request error has no data')
    t.same(answers[2]?.data, { organization: null })
    t.same(codes(answers[2] as GqlBody), ['BAD_USER_INPUT'])
    t.same(answers[3], { data: { s: { backup: { name: 'catalog-nightly-001' } } } })
    t.equal(sim.callCount('ListBackups'), 1, 'operations of one batch share the caller\'s loaders')
  })
})
