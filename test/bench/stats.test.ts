/**
 * The closed-loop throughput of a run, on made-up connection tallies: a
 * request still in flight when a timed run stops is neither counted nor
 * timed, so a scenario whose requests take a sizable part of the run reads
 * at the rate its connections served, not lower.
 */
import t from 'tap'
import { closedLoopRate, type ConnectionTally } from '../../bench/lib/stats.js'

/** `connections` connections whose requests each take `latencyMs`, back to back from 0, in a run stopped at `runMs`. */
function steady (connections: number, latencyMs: number, runMs: number): ConnectionTally[] {
  const completed = Math.floor(runMs / latencyMs)
  return Array.from({ length: connections }, () => ({ completed, lastAtMs: completed * latencyMs }))
}

t.test('requests of 1.4 s in a 4 s run: the rate served, not completions over the run', async (t) => {
  const tallies = steady(10, 1400, 4000)
  t.equal(tallies.reduce((s, c) => s + c.completed, 0) / 4, 5, 'completions over the run undercount')
  t.equal(closedLoopRate(tallies, 0, 10), 10 / 1.4)
})

t.test('short requests: the same as completions over the run', async (t) => {
  const rate = closedLoopRate(steady(10, 2, 4000), 0, 10)
  t.equal(rate, 5000)
})

t.test('counted from the run\'s start, not from 0', async (t) => {
  const tallies = steady(4, 500, 2000).map((c) => ({ ...c, lastAtMs: c.lastAtMs + 10_000 }))
  t.equal(closedLoopRate(tallies, 10_000, 4), 8)
})

t.test('connections differ: their responses and times are pooled', async (t) => {
  const tallies = [{ completed: 3, lastAtMs: 3000 }, { completed: 1, lastAtMs: 1000 }]
  t.equal(closedLoopRate(tallies, 0, 2), 2)
})

t.test('a connection that answered nothing is left out; none at all is NaN', async (t) => {
  t.equal(closedLoopRate([{ completed: 2, lastAtMs: 2000 }, { completed: 0, lastAtMs: 0 }], 0, 2), 2)
  t.ok(Number.isNaN(closedLoopRate([{ completed: 0, lastAtMs: 0 }], 0, 1)))
  t.ok(Number.isNaN(closedLoopRate([], 0, 10)))
})
