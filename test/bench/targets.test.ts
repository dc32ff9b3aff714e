/**
 * The targets' verdicts on made-up rows: a ratio or a latency gap on the
 * line is shown with a third digit, so a miss never reads "0.70x, short by
 * 0.00x"; away from the line, two digits as before.
 */
import t from 'tap'
import type { Measurement } from '../../bench/lib/bench.js'
import { judgeTargets } from '../../bench/lib/targets.js'

const row = (id: string, rps: number, p50 = 1): Measurement => ({
  id, label: id, measured: 'gateway', connections: 10, rps, p50, p99: 2, cpuMsPerReq: 0.1, simCpuMsPerReq: 0, simCpuPct: 0,
  rssMb: 100, failures: 0, loadCpuPct: 0, runsRps: [rps], runsCpuMsPerReq: [0.1], warmupMs: 2000
})
const judge = (rows: Measurement[], id: string): ReturnType<typeof judgeTargets>[number] | undefined =>
  judgeTargets({ rows }).find((target) => target.id === id)

t.test('a ratio just under its goal shows three digits and its miss', async (t) => {
  t.match(judge([row('D-mixed', 6557), row('B-memory', 9386)], 'D2'), { measured: '0.699x', met: false, miss: 'short by 0.001x (0.2% below the target)' })
  t.match(judge([row('D-mixed', 7000), row('B-memory', 10000)], 'D2'), { measured: '0.700x', met: true }, 'on the line is met')
  t.match(judge([row('D-mixed', 6000), row('B-memory', 10000)], 'D2'), { measured: '0.60x', met: false, miss: 'short by 0.10x (14% below the target)' })
  t.match(judge([row('D-mixed', 8000), row('B-memory', 10000)], 'D2'), { measured: '0.80x', met: true })
})

t.test('a latency gap just over its goal shows three digits too', async (t) => {
  t.match(judge([row('A-rest-c1', 900, 1.003), row('direct-c1', 1500, 0.5)], 'A4'), { measured: '+0.503 ms (1.00 vs 0.50)', met: false, miss: '0.003 ms over' })
  t.match(judge([row('A-rest-c1', 900, 1.2), row('direct-c1', 1500, 0.5)], 'A4'), { measured: '+0.70 ms (1.20 vs 0.50)', met: false, miss: '0.20 ms over' })
  t.match(judge([row('A-rest-c1', 900, 0.9), row('direct-c1', 1500, 0.5)], 'A4'), { measured: '+0.40 ms (0.90 vs 0.50)', met: true })
})
