/**
 * CACHE_MAX_BYTES in the app: the memory cache keeps an answer only while
 * it fits the byte bound, serves one that does not fit all the same (a miss
 * with max-age=0, every time), and /metrics shows what it holds.
 */
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { loadConfig } from '../../src/config.js'
import { DEV_TOKEN } from '../../src/simulator/index.js'
import { buildTestApp } from '../helpers/app.js'

const auth = { authorization: `Bearer ${DEV_TOKEN}` }
const BACKUPS = '/v1/vbase/svc-demo-analytics/backup'
const POLICIES = '/v1/vbase/svc-demo-analytics/backup/policy'

async function held (app: FastifyInstance): Promise<{ entries: number, bytes: number }> {
  const text = (await app.inject({ url: '/metrics' })).body
  const value = (name: string): number => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN)
  return { entries: value('vbgw_cache_memory_entries'), bytes: value('vbgw_cache_memory_bytes') }
}

t.test('an answer larger than CACHE_MAX_BYTES is served, not kept; one that fits is kept', async (t) => {
  // The list's weight, as a gateway with the default bound counts it.
  const roomy = await buildTestApp(t)
  t.same(await held(roomy.app), { entries: 0, bytes: 0 }, 'the gauges start at zero')
  const first = await roomy.app.inject({ url: BACKUPS, headers: auth })
  t.equal(first.statusCode, 200, first.body)
  t.equal((await roomy.app.inject({ url: BACKUPS, headers: auth })).headers['x-cache'], 'hit')
  const weight = (await held(roomy.app)).bytes
  t.equal((await held(roomy.app)).entries, 1)
  t.ok(weight > 2 * first.body.length, `the list weighs ${weight} bytes: at least two a character of its JSON`)

  const tight = await buildTestApp(t, { sim: roomy.sim, env: { CACHE_MAX_BYTES: String(weight - 1) } })
  for (const round of ['first', 'second']) {
    const res = await tight.app.inject({ url: BACKUPS, headers: auth })
    t.equal(res.statusCode, 200)
    t.equal(res.headers['x-cache'], 'miss', `one byte over the bound: a miss, ${round} time`)
    t.equal(res.headers['cache-control'], 'private, max-age=0', 'and not reusable')
    t.equal(res.body, first.body, 'the same answer all the same')
  }
  const graphql = await tight.app.inject({
    method: 'POST',
    url: '/graphql',
    headers: auth,
    payload: { query: '{ service(id: "svc-demo-analytics") { backups { totalCount } } }' }
  })
  t.same(JSON.parse(graphql.body), { data: { service: { backups: { totalCount: 2 } } } }, 'GraphQL reads it too')
  t.same(await held(tight.app), { entries: 0, bytes: 0 }, 'nothing held')

  t.equal((await tight.app.inject({ url: POLICIES, headers: auth })).headers['x-cache'], 'miss')
  t.equal((await tight.app.inject({ url: POLICIES, headers: auth })).headers['x-cache'], 'hit', 'a smaller list is kept')
  const small = await held(tight.app)
  t.equal(small.entries, 1)
  t.ok(small.bytes > 0 && small.bytes < weight, `and weighs ${small.bytes} bytes`)

  const exact = await buildTestApp(t, { sim: roomy.sim, env: { CACHE_MAX_BYTES: String(weight) } })
  await exact.app.inject({ url: BACKUPS, headers: auth })
  t.equal((await exact.app.inject({ url: BACKUPS, headers: auth })).headers['x-cache'], 'hit', 'at exactly its weight, the list is kept')
})

t.test('the setting: a default of 64 MiB, and a bad value stops the boot', async (t) => {
  t.equal(loadConfig({}).CACHE_MAX_BYTES, 64 * 1024 * 1024)
  t.throws(() => loadConfig({ CACHE_MAX_BYTES: '0' }), /CACHE_MAX_BYTES/)
  t.throws(() => loadConfig({ CACHE_MAX_BYTES: 'lots' }), /CACHE_MAX_BYTES/)
})
