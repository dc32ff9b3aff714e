/**
 * A served request is young garbage: nothing long-lived keeps any part of
 * it once it is answered, so V8's young-generation GC frees it and nothing
 * of it is promoted to the old generation.
 *
 * Two ways broke this, each making every request of a path outlive its
 * answer until the next full GC (about 2 MB promoted per young GC under
 * load; GC took a fifth of a cached read's CPU): a getter closing over the
 * request, in an object literal or given to Object.defineProperty (V8 keeps
 * accessors in the hidden class, so each such object had one of its own,
 * and hidden classes live until a full GC), and a long-lived WeakMap keyed
 * by requests (V8's young GC keeps every entry of an old WeakMap).
 *
 * Measured under load, over real sockets, as the old space's growth across
 * each young GC (v8.GCProfiler): what a young GC promotes. (app.inject is no
 * good here: light-my-request's own objects are promoted too.)
 */
import type { AddressInfo } from 'node:net'
import v8, { GCProfiler } from 'node:v8'
import autocannon from 'autocannon'
import t from 'tap'
import { DEMO_SERVICE_IDS, DEV_TOKEN } from '../../src/simulator/index.js'
import { buildTestApp } from '../helpers/app.js'

/** Requests of warm-up, then measured, ten at a time. */
const WARM_UP = 500
const MEASURED = 3000

/**
 * With either fault, these paths promoted 4 to 90 KB a request; without,
 * about 0.2 KB (the load generator's own objects and the access log
 * included).
 */
const MAX_PROMOTED_PER_REQUEST = 1024

/** At least this many young GCs during the measured requests, or the measure says nothing. */
const MIN_YOUNG_GCS = 3

const auth = { authorization: `Bearer ${DEV_TOKEN}` }
const SERVICE = DEMO_SERVICE_IDS[0]

interface Load { method: 'GET' | 'POST', path: string, body?: object }

// V8 may decide, now and then, to allocate what some code makes straight in
// the old generation (allocation-site pretenuring). It did so in one run in
// about ten: all three paths then "promoted" 4 to 10 KB a request, as a fault
// would. Off, the measure is what young GCs keep because it is still
// reachable, which is what the faults below change.
v8.setFlagsFromString('--no-allocation-site-pretenuring')

t.test('a served request is freed by the young-generation GC', async (t) => {
  // The rate limit would refuse the load; nothing else is changed.
  const { app } = await buildTestApp(t, { env: { RATE_LIMIT_MAX: '0' } })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo

  async function load ({ method, path, body }: Load, amount: number): Promise<void> {
    const result = await autocannon({
      url: `http://127.0.0.1:${port}${path}`,
      method,
      headers: { ...auth, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      connections: 10,
      amount
    })
    if (result.non2xx + result.errors > 0) throw new Error(`${path}: ${result.non2xx} non-2xx, ${result.errors} errors`)
  }

  /** Bytes the young GCs promoted per request of `what`, and how many young GCs there were. */
  async function promotedPerRequest (what: Load): Promise<{ perRequest: number, youngGcs: number }> {
    await load(what, WARM_UP)
    const profiler = new GCProfiler()
    profiler.start()
    await load(what, MEASURED)
    const { statistics } = profiler.stop()
    const oldSpace = (stats: typeof statistics[number]['beforeGC']): number =>
      stats.heapSpaceStatistics.find((s) => s.spaceName === 'old_space')?.spaceUsedSize ?? 0
    const young = statistics.filter((s) => s.gcType === 'Scavenge')
    const promoted = young.reduce((sum, s) => sum + oldSpace(s.afterGC) - oldSpace(s.beforeGC), 0)
    return { perRequest: promoted / MEASURED, youngGcs: young.length }
  }

  const graphql = (query: string): Load => ({ method: 'POST', path: '/graphql', body: { query } })
  const paths: Array<[string, Load]> = [
    ['a cached REST read', { method: 'GET', path: `/v1/vbase/${SERVICE}/backup` }],
    ['a cached GraphQL read with page info', graphql(`{ service(id: "${SERVICE}") { backups(first: 2) { totalCount pageInfo { endCursor hasNextPage } nodes { name } } } }`)],
    ['a GraphQL read of policies and their next runs', graphql(`{ service(id: "${SERVICE}") { policies { id nextRuns(count: 2) } } }`)]
  ]
  for (const [name, what] of paths) {
    const { perRequest, youngGcs } = await promotedPerRequest(what)
    t.ok(youngGcs >= MIN_YOUNG_GCS, `${name}: ${youngGcs} young GCs during the load`)
    t.ok(perRequest < MAX_PROMOTED_PER_REQUEST, `${name}: ${(perRequest / 1024).toFixed(2)} KB promoted per request (under ${MAX_PROMOTED_PER_REQUEST / 1024} KB)`)
  }
})
