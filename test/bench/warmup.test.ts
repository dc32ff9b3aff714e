/**
 * The first warm-up's rule, on made-up request counts: after the mode's
 * warm-up it goes on in slices until the process has served enough
 * requests, and stops at its time cap however few it has served. Without
 * settings (a process's later scenarios) it warms up once.
 */
import t from 'tap'
import { warmUp } from '../../bench/lib/warmup.js'

/** A scenario whose runs serve these request counts in turn, recording each run's length. */
function scenario (served: number[]): { run: (ms: number) => Promise<number>, lengths: number[] } {
  const lengths: number[] = []
  return { lengths, run: async (ms) => { lengths.push(ms); return served[lengths.length - 1] ?? 0 } }
}
const FIRST = { sliceMs: 1000, requests: 6000, maxMs: 5000 }

t.test('a fast scenario is warm after the mode\'s warm-up alone', async (t) => {
  const s = scenario([18_000])
  t.same(await warmUp(s.run, 2000, FIRST), { ms: 2000, requests: 18_000 })
  t.same(s.lengths, [2000])
})

t.test('a slower one goes on in slices until enough requests', async (t) => {
  const s = scenario([1500, 1500, 1500, 1600, 1700])
  t.same(await warmUp(s.run, 2000, FIRST), { ms: 5000, requests: 6100 }, 'three slices reach 6000')
  t.same(s.lengths, [2000, 1000, 1000, 1000])
})

t.test('the time cap ends it, however few requests', async (t) => {
  const s = scenario([20, 10, 10, 10, 10, 10])
  t.same(await warmUp(s.run, 2000, FIRST), { ms: 5000, requests: 50 })
})

t.test('it stops as soon as the count is reached', async (t) => {
  const s = scenario([5000, 1200, 900])
  t.same(await warmUp(s.run, 2000, FIRST), { ms: 3000, requests: 6200 })
})

t.test('without settings, one warm-up', async (t) => {
  const s = scenario([100])
  t.same(await warmUp(s.run, 2000, undefined), { ms: 2000, requests: 100 })
  t.same(s.lengths, [2000])
})
