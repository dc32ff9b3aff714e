/**
 * The facade's readiness check: /readyz is unauthenticated and exempt from
 * the rate limit, so concurrent checks share one upstream health call and
 * its answer is reused for READY_CACHE_MS (on an injected clock here), then
 * asked again, so readiness still follows the upstream.
 */
import t from 'tap'
import type { UpstreamClient } from '../../src/upstream/client.js'
import { createVbase, READY_CACHE_MS } from '../../src/upstream/vbase.js'
import { FakeClock } from '../helpers/clock.js'

/** A client whose health answers the test sets, counting the checks: the narrow seam. */
function healthStub (): { client: UpstreamClient, checks: () => number, answer: (ok: boolean) => void } {
  let checks = 0
  let waiting: Array<(ok: boolean) => void> = []
  const client: UpstreamClient = {
    unary: async () => { throw new Error('not used') },
    healthy: () => { checks++; return new Promise((resolve) => { waiting.push(resolve) }) },
    close: () => {}
  }
  const answer = (ok: boolean): void => { const w = waiting; waiting = []; for (const r of w) r(ok) }
  return { client, checks: () => checks, answer }
}

t.test('concurrent readiness checks share one health call; its answer is reused for a second', async (t) => {
  const clock = new FakeClock()
  const stub = healthStub()
  const vbase = createVbase({ client: stub.client, now: () => clock.now() })

  const first = Array.from({ length: 20 }, () => vbase.ready())
  t.equal(stub.checks(), 1, 'twenty concurrent checks, one health call')
  stub.answer(true)
  t.same(await Promise.all(first), Array(20).fill(true))

  clock.advance(READY_CACHE_MS - 1)
  t.equal(await vbase.ready(), true)
  t.equal(stub.checks(), 1, 'reused within the interval')

  clock.advance(1)
  const next = vbase.ready()
  t.equal(stub.checks(), 2, 'asked again after it')
  stub.answer(false)
  t.equal(await next, false, 'and follows the upstream down')
  t.equal(await vbase.ready(), false)
  t.equal(stub.checks(), 2)

  clock.advance(READY_CACHE_MS)
  const back = vbase.ready()
  stub.answer(true)
  t.equal(await back, true, 'and back up')
  t.equal(stub.checks(), 3)
})

t.test('a health call that throws reads as not ready, and is not remembered as pending', async (t) => {
  let calls = 0
  const client: UpstreamClient = { unary: async () => ({}), healthy: async () => { calls++; throw new Error('channel closed') }, close: () => {} }
  const vbase = createVbase({ client, readyCacheMs: 0 })
  t.equal(await vbase.ready(), false)
  t.equal(await vbase.ready(), false)
  t.equal(calls, 2)
})

t.test('readiness(): the same shared check, with its cause; a client without health() reads through healthy()', async (t) => {
  const cause = { code: 'UNAVAILABLE', details: 'No connection established', check: 'grpc.health.v1' as const }
  let checks = 0
  const client: UpstreamClient = {
    unary: async () => ({}),
    healthy: async () => { throw new Error('not used when health() is there') },
    health: async () => { checks++; return { ok: false, cause } },
    close: () => {}
  }
  const vbase = createVbase({ client })
  t.same(await Promise.all([vbase.readiness(), vbase.ready(), vbase.readiness()]), [{ ok: false, cause }, false, { ok: false, cause }])
  t.equal(checks, 1, 'one check for both')

  const thrown = createVbase({ client: { unary: async () => ({}), healthy: async () => { throw new Error('channel closed, authorization: Bearer tok-secret-1234567890') }, close: () => {} } })
  const answer = await thrown.readiness()
  t.match(answer, { ok: false, cause: { code: 'ERROR', details: /channel closed/ } }, 'a thrown check: its message, no stack')
  t.notMatch(JSON.stringify(answer), /tok-secret/, 'credentials scrubbed')
  t.match(await createVbase({ client: { unary: async () => ({}), healthy: async () => false, close: () => {} } }).readiness(), { ok: false, cause: { code: String } })
})
