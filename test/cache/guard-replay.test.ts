/**
 * The guard's replay of invalidations it could not write, without waiting
 * for this process's next storage operation: on a timer while any are kept,
 * at once when the storage says it is back (`replay`), and one last time at
 * `close`. The storage is the memory one behind an `invalidate` that fails
 * (or hangs) while the test says so; the guard's retry timers are counted
 * through a spy on setTimeout/clearTimeout, so none is left behind.
 */
import t, { type Test } from 'tap'
import { guardStorage, type GuardedStorage } from '../../src/cache/guard.js'
import { createMemoryStorage } from '../../src/cache/memory.js'
import type { StoredEntry } from '../../src/cache/storage.js'
import { waitFor } from '../helpers/app.js'

const entry = (refs: string[]): StoredEntry => ({ body: '{}', etag: '"e"', expiresAt: 1e15, stamp: 0, refs })

/** A distinctive retry interval, so the spy tells the guard's retry timer from any other. */
const RETRY_MS = 37

/** The guard's retry timers armed now (set with `ms`, or one of `also`, neither fired nor cleared), how many were ever set, and their delays. */
interface RetryTimers { armed (): number, set (): number, delays: number[], allUnref (): boolean }

function spyRetryTimers (t: Test, ms: number, also: number[] = []): RetryTimers {
  const realSet = globalThis.setTimeout
  const realClear = globalThis.clearTimeout
  const armed = new Set<NodeJS.Timeout>()
  const delays: number[] = []
  let set = 0
  globalThis.setTimeout = ((fn: (...a: unknown[]) => void, delay?: number, ...args: unknown[]) => {
    if (delay !== ms && !also.includes(delay ?? -1)) return realSet(fn, delay, ...args)
    set++
    delays.push(delay ?? 0)
    const timer: NodeJS.Timeout = realSet((...a: unknown[]) => { armed.delete(timer); fn(...a) }, delay, ...args)
    armed.add(timer)
    return timer
  }) as typeof setTimeout
  globalThis.clearTimeout = ((timer?: NodeJS.Timeout) => {
    if (timer !== undefined) armed.delete(timer)
    realClear(timer)
  }) as typeof clearTimeout
  t.teardown(() => {
    globalThis.setTimeout = realSet
    globalThis.clearTimeout = realClear
  })
  return { armed: () => armed.size, set: () => set, delays, allUnref: () => [...armed].every((timer) => !timer.hasRef()) }
}

interface Rig {
  guard: GuardedStorage
  /** What the memory storage behind the guard holds under `key`, read without the guard. */
  stored (key: string): Promise<StoredEntry | undefined>
  /** `invalidate` fails while true; with 'hang' it never answers. */
  broken: boolean | 'hang'
  /** Every `invalidate` call that reached the storage, and those that succeeded. */
  attempts: string[][]
  written: string[][]
  failures: number
  warns: string[]
  closed: boolean
}

function rig (opts: { now?: () => number, timeoutMs?: number, logIntervalMs?: number } = {}): Rig {
  const memory = createMemoryStorage({ maxEntries: 10 })
  const r: Rig = {
    guard: undefined as unknown as GuardedStorage,
    stored: (key) => memory.get(key),
    broken: false,
    attempts: [],
    written: [],
    failures: 0,
    warns: [],
    closed: false
  }
  const inner = {
    ...memory,
    async invalidate (refs: string[]) {
      r.attempts.push(refs)
      if (r.broken === 'hang') await new Promise(() => {})
      if (r.broken) throw new Error('down')
      await memory.invalidate(refs)
      r.written.push(refs)
    },
    async close () {
      r.closed = true
      await memory.close()
    }
  }
  r.guard = guardStorage(inner, {
    timeoutMs: opts.timeoutMs ?? 0,
    retryAfterMs: RETRY_MS,
    logIntervalMs: opts.logIntervalMs ?? 0,
    now: opts.now ?? Date.now,
    logger: { warn: (_o, msg) => { r.warns.push(msg) }, info: () => {} },
    onFailure: () => { r.failures++ }
  })
  return r
}

/** Cache `k` (depending on svc:a), then fail the invalidation of svc:a: it is kept for replay. */
async function keptInvalidation (t: Test, r: Rig): Promise<void> {
  await r.guard.set('k', entry(['svc:a']), 60_000)
  r.broken = true
  await t.rejects(r.guard.invalidate(['svc:a']), { code: 'VBGW_CACHE_UNAVAILABLE' })
  t.ok(await r.stored('k'), 'the entry the failed invalidation should hide is still stored')
}

t.test('kept invalidations are replayed by the timer, with no further traffic', async (t) => {
  const timers = spyRetryTimers(t, RETRY_MS)
  const r = rig()
  await keptInvalidation(t, r)
  t.equal(timers.armed(), 1, 'a retry timer is armed while references are kept')
  t.ok(timers.allUnref(), 'and it does not hold the process open')

  r.broken = false
  await waitFor(() => r.written.length > 0)
  t.same(r.written, [['svc:a']], 'the kept references were written without any storage operation')
  t.equal(await r.stored('k'), undefined, 'the entry they hide is gone')
  t.ok(r.guard.available(), 'the storage is trusted again')
  t.equal(timers.armed(), 0, 'no timer once nothing is kept')
  await r.guard.close()
})

t.test('a timed replay that fails keeps the references and retries, logging once per interval', async (t) => {
  const timers = spyRetryTimers(t, RETRY_MS)
  const r = rig({ logIntervalMs: 60_000 })
  await keptInvalidation(t, r)
  await waitFor(() => r.attempts.length >= 4)
  t.ok(r.attempts.slice(1).every((refs) => refs.length === 1 && refs[0] === 'svc:a'), 'each retry writes the kept reference')
  t.ok(r.failures >= 4, 'each failed replay is reported (and counted)')
  t.same(r.warns, ['cache storage unavailable: serving from the upstream without the cache'], 'but logged once for the interval')
  t.equal(timers.armed(), 1, 'one timer at a time')

  r.broken = false
  await waitFor(() => r.written.length > 0)
  t.equal(await r.stored('k'), undefined, 'written once the storage answers')
  t.equal(timers.armed(), 0)
  await r.guard.close()
})

t.test('replay() writes the kept references at once, ending the bypass early', async (t) => {
  const timers = spyRetryTimers(t, RETRY_MS)
  const now = 1_000_000 // the injected clock does not move: the bypass would last forever
  const r = rig({ now: () => now })
  await keptInvalidation(t, r)
  r.broken = false
  t.notOk(r.guard.available(), 'bypassed after the failure')

  await r.guard.replay()
  t.same(r.written, [['svc:a']], 'written before replay() resolved')
  t.equal(await r.stored('k'), undefined)
  t.ok(r.guard.available(), 'the storage said it is back: the bypass ended')
  t.equal(timers.armed(), 0)

  r.broken = true
  await t.resolves(r.guard.replay(), 'with nothing kept, replay() is a no-op')
  t.equal(r.attempts.length, 2, 'that touches nothing')
  await r.guard.close()
})

t.test('a timed replay within the bypass window (injected clock) is a silent no-op that reschedules', async (t) => {
  const timers = spyRetryTimers(t, RETRY_MS)
  let now = 1_000_000
  const r = rig({ now: () => now })
  await keptInvalidation(t, r)
  r.broken = false
  await waitFor(() => timers.set() >= 4)
  t.equal(r.attempts.length, 1, 'the timer fired and rescheduled, but did not touch the storage')
  t.equal(r.failures, 1, 'nothing counted')
  t.equal(r.warns.length, 1, 'nothing logged')
  t.notOk(r.guard.available())

  now += RETRY_MS
  await waitFor(() => r.written.length > 0)
  t.equal(await r.stored('k'), undefined, 'written by the timer once the window is over')
  t.equal(timers.armed(), 0)
  await r.guard.close()
})

t.test('a timed replay that comes a moment early waits out what is left of the window, not a whole new interval', async (t) => {
  // The timer is armed when the failed invalidation is kept, just before the failure moves the
  // window: it may fire inside the window. Here the injected clock says 30 of its 37 ms are gone.
  const LEFT = RETRY_MS - 30
  const timers = spyRetryTimers(t, RETRY_MS, [LEFT])
  let now = 1_000_000
  const r = rig({ now: () => now })
  await keptInvalidation(t, r)
  r.broken = false
  now += 30
  await waitFor(() => timers.set() >= 2)
  t.same(timers.delays.slice(0, 2), [RETRY_MS, LEFT], `rescheduled for the ${LEFT} ms left`)
  t.equal(r.attempts.length, 1, 'the storage was not touched inside the window')
  now += LEFT
  await waitFor(() => r.written.length > 0)
  t.equal(await r.stored('k'), undefined, 'written once the window is over')
  t.equal(timers.armed(), 0)
  await r.guard.close()
})

t.test('failures are told apart: a failed operation, and a connection error reported from outside', async (t) => {
  const kinds: string[] = []
  const memory = createMemoryStorage({ maxEntries: 10 })
  const guard = guardStorage({ ...memory, async get () { throw new Error('down') } }, {
    timeoutMs: 0, retryAfterMs: RETRY_MS, logIntervalMs: 0, now: Date.now, logger: { warn: () => {}, info: () => {} }, onFailure: (_err, kind) => { kinds.push(kind) }
  })
  await t.rejects(guard.get('k'), { code: 'VBGW_CACHE_UNAVAILABLE' })
  guard.report(new Error('ECONNREFUSED'), 'connection')
  guard.report(new Error('something else'))
  t.same(kinds, ['operation', 'connection', 'operation'])
  await guard.close()
})

t.test('close makes one last attempt, within the bypass window, then closes the storage', async (t) => {
  const timers = spyRetryTimers(t, RETRY_MS)
  const now = 1_000_000
  const r = rig({ now: () => now })
  await keptInvalidation(t, r)
  r.broken = false
  await r.guard.close()
  t.same(r.written, [['svc:a']], 'the kept references were written at close')
  t.ok(r.closed, 'and the storage closed after')
  t.equal(timers.armed(), 0, 'no timer left')
  t.equal(r.warns.length, 1, 'nothing more logged')
})

t.test('close never throws: a failed or hanging last attempt is logged once, bounded by the timeout', async (t) => {
  for (const broken of [true, 'hang'] as const) {
    await t.test(broken === true ? 'the storage fails' : 'the storage hangs', async (t) => {
      const timers = spyRetryTimers(t, RETRY_MS)
      const r = rig({ timeoutMs: 50 })
      await keptInvalidation(t, r)
      r.broken = broken
      const attempts = r.attempts.length
      const started = Date.now()
      await t.resolves(r.guard.close(), 'close resolves')
      t.ok(Date.now() - started < 2000, 'within the operation timeout, not at the storage\'s pace')
      t.equal(r.attempts.length, attempts + 1, 'after one last attempt')
      t.ok(r.closed, 'the storage closed all the same')
      t.equal(r.warns.filter((w) => w.startsWith('cache invalidations not written at shutdown')).length, 1, 'one line says what was lost')
      t.equal(timers.armed(), 0, 'no timer left')
      await t.rejects(r.guard.invalidate(['svc:b']), 'an invalidation failing after close')
      t.equal(timers.armed(), 0, 'arms no timer')
    })
  }
})
