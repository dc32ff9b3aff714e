/**
 * The report's turn-taking line on made-up rows: the product of req/s and
 * the CPU per call of the measured process and the simulator, and the CPU
 * budget each uncached throughput target leaves the gateway at that product.
 */
import t from 'tap'
import type { Measurement } from '../../bench/lib/bench.js'
import { boundFloorLine, turnTakingLine, versusLine, writeCycleLine } from '../../bench/lib/report.js'

const row = (id: string, rps: number, cpuMsPerReq: number, simCpuMsPerReq: number): Measurement => ({
  id, label: id, measured: 'gateway', connections: 10, rps, p50: 1, p99: 2, cpuMsPerReq, simCpuMsPerReq, simCpuPct: 30,
  rssMb: 100, failures: 0, loadCpuPct: 0, runsRps: [rps], runsCpuMsPerReq: [cpuMsPerReq], warmupMs: 2000
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

t.test('D\'s writes: what a write and the read after it cost in B\'s hits, and what D2 allows them', async (t) => {
  const line = writeCycleLine(rows(
    row('B-memory', 10000, 0.1, 0),
    row('D-mixed', 2500, 0.38, 0.05),
    row('direct-c1', 700, 0.7, 0.5),
    row('direct', 1500, 0.45, 0.4)
  ), 20)
  t.match(line, 'gateway load (req/s x CPU ms per request / 1000) 1.00 in B, 0.95 in D.')
  // 20 x 0.38 = 7.6 ms; less 18 x 0.1 = 1.8: 5.8 ms, 58 hits.
  t.match(line, 'A cycle of 20 requests (a write, 19 reads) cost 7.60 ms of gateway CPU; less 18 reads at B\'s 0.100 ms per hit, ' +
    'the write and the read after it, which goes upstream, cost 5.80 ms (58.0 hits).')
  // 0.7 x 10000 = 7000 req/s; 0.95 / 7000 s = 0.1357 ms per request; x 20 - 1.8 = 0.914 ms.
  t.match(line, 'D2 (0.7x B, 7000 req/s) at D\'s own load allows 0.136 ms per request: 0.91 ms (9.1 hits) for the write and that read')
  t.match(line, 'the direct floor\'s grpc-js client alone spends 0.700 ms at c=1 (7.0 hits) and 0.450 ms at c=10 (4.5 hits) per call.')
  t.match(writeCycleLine(rows(row('B-memory', 10000, 0.1, 0), row('D-mixed', 2500, 0.38, 0.05)), 10), /cost 3\.80 ms.*less 8 reads.*cost 3\.00 ms \(30\.0 hits\).*that read, one upstream call each\.$/,
    'the cycle follows the write share; no direct rows: no floor')
  t.match(writeCycleLine(rows(row('B-memory', 10000, 0.1, 0), { ...row('D-mixed', 2500, 0.38, 0.05), connections: 4 })), /^D's writes \(c=4\): /, 'D\'s own concurrency')
  t.equal(writeCycleLine(rows(row('D-mixed', 2500, 0.38, 0.05))), undefined, 'no B: no line')
  t.equal(writeCycleLine(rows(row('B-memory', 10000, 0.1, 0), row('D-mixed', 0, 0, 0))), undefined, 'nor with a D that served nothing')
})

t.test('the versus rows against their own: req/s, CPU per request, and CPU round by round', async (t) => {
  const own = { ...row('A-rest', 1000, 0.6, 0.3), runsCpuMsPerReq: [0.6, 0.5, 0.8] }
  const v = { ...row('A-rest-versus', 1100, 0.54, 0.3), runsCpuMsPerReq: [0.54, 0.5, 0.6], versusOf: 'A-rest' }
  const line = versusLine(rows(own, v, row('bare-rest', 20000, 0.04, 0)), { LOG_LEVEL: 'warn', X: '1' })
  t.match(line, /^Versus: the rows marked \[versus\] ran again on a second gateway with LOG_LEVEL=warn X=1, /)
  t.match(line, 'own -> versus: A-rest 1000 -> 1100 req/s (1.10x), CPU 0.600 -> 0.540 ms per request (0.90x; by round 0.90x, 1.00x, 0.75x).')
  t.equal(versusLine(rows(own, v), undefined), undefined, 'no versus environment: no line')
  t.equal(versusLine(rows(own), { X: '1' }), 'Versus (X=1): no row ran on the versus gateway.')
})
