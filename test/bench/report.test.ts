/**
 * The report's turn-taking line on made-up rows: the product of req/s and
 * the CPU per call of the measured process and the simulator, and the CPU
 * budget each uncached throughput target leaves the gateway at that product.
 */
import t from 'tap'
import type { Measurement } from '../../bench/lib/bench.js'
import { boundFloorLine, turnTakingLine } from '../../bench/lib/report.js'

const row = (id: string, rps: number, cpuMsPerReq: number, simCpuMsPerReq: number): Measurement => ({
  id, label: id, measured: 'gateway', connections: 10, rps, p50: 1, p99: 2, cpuMsPerReq, simCpuMsPerReq, simCpuPct: 30,
  rssMb: 100, failures: 0, loadCpuPct: 0, runsRps: [rps], warmupMs: 2000
})
const rows = (...list: Measurement[]): Map<string, Measurement> => new Map(list.map((m) => [m.id, m]))

t.test('the products, and the budget of A1 and A2 at each row\'s own product', async (t) => {
  const line = turnTakingLine(rows(
    row('direct', 2000, 0.3, 0.25),
    row('proxy-rest', 1250, 0.6, 0.3),
    row('A-rest', 1000, 0.8, 0.3),
    row('A-graphql', 800, 1.0, 0.375)
  ))
  t.ok(line?.startsWith('Turn-taking (uncached, c=10): '))
  t.match(line, '= 1.10 direct, 1.13 proxy, 1.10 A REST, 1.10 A GraphQL.')
  // 0.75 x 2000 = 1500 req/s: 1.1 / 1500 s = 0.733 ms per call, less the simulator's 0.3.
  t.match(line, 'A2 (0.75x direct, 1500 req/s) allows 0.433 ms of gateway CPU per A REST read (0.800 measured, simulator 0.300)')
  // 0.6 x 2000 = 1200 req/s: 1.1 / 1200 s = 0.917 ms, less 0.375.
  t.match(line, 'A1 (0.6x direct, 1200 req/s) allows 0.542 ms of gateway CPU per A GraphQL read (1.000 measured, simulator 0.375)')
})

t.test('rows without figures are left out; without direct there is no line', async (t) => {
  const noSim = turnTakingLine(rows(row('direct', 2000, 0.3, 0.25), row('A-rest', 1000, 0.8, 0), row('A-graphql', 800, 1.0, 0.375)))
  t.notMatch(noSim, 'A REST', 'a row without the simulator\'s CPU')
  t.match(noSim, 'A1 (0.6x direct')
  t.notMatch(noSim, 'A2')
  t.equal(turnTakingLine(rows(row('A-rest', 1000, 0.8, 0.3))), undefined)
  t.equal(turnTakingLine(rows(row('direct', 0, 0.3, 0.25), row('A-rest', 1000, 0.8, 0.3))), undefined, 'nor with a direct row that served nothing')
})

t.test('the bind-fixed direct reference: its speed against the plain floor, and the uncached ratios against both', async (t) => {
  const line = boundFloorLine(rows(
    row('direct', 2000, 0.3, 0.25),
    row('direct-bind-fixed', 2500, 0.24, 0.25),
    row('A-rest', 1600, 0.4, 0.3),
    row('A-graphql', 1250, 0.5, 0.3)
  ))
  t.match(line, 'ran at 1.25x the plain one, for 0.240 against 0.300 CPU ms per call')
  t.match(line, 'A GraphQL 0.50x (0.63x the plain floor), A REST 0.64x (0.80x the plain floor).')
  t.match(boundFloorLine(rows(row('direct', 2000, 0.3, 0.25), row('direct-bind-fixed', 2500, 0.24, 0.25))), /per call\.$/, 'no A rows: no ratios')
  t.equal(boundFloorLine(rows(row('direct', 2000, 0.3, 0.25))), undefined, 'no reference row: no line')
  t.equal(boundFloorLine(rows(row('direct', 2000, 0.3, 0.25), row('direct-bind-fixed', 0, 0, 0))), undefined, 'nor one that served nothing')
})
