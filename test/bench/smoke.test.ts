/**
 * Smoke test of the benchmark (bench/): a few dozen counted requests per
 * scenario, gateway from src/ through tsx, no assertion on speed. It keeps
 * the bench from rotting: every scenario and floor runs without failures,
 * the upstream call counts are what the scenarios claim, the stale-read
 * checker works (it catches a server that serves stale lists, and passes a
 * fresh one), and the report prints.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { runBench } from '../../bench/lib/bench.js'
import { BENCH_SERVICES, FANOUT_CALLS_NAIVE, FANOUT_CALLS_WITH_LOADERS, restListPath } from '../../bench/lib/data.js'
import { runLoad } from '../../bench/lib/load.js'
import { MixedWorkload } from '../../bench/lib/mixed.js'
import { MODES } from '../../bench/lib/modes.js'
import { renderReport } from '../../bench/lib/report.js'
import { budgetOf } from '../../bench/lib/requests.js'
import { bindDefinesAccessor } from '../../src/ops/async-bind.js'
import { redisGate, TEST_REDIS } from '../helpers/redis.js'

/** The bench's own Redis database in tests (the test suites use 11 and 12, the bench 14). */
const SMOKE_REDIS_DB = 15

t.test('every scenario runs, counts its upstream calls, and the table prints', async (t) => {
  const gate = await redisGate(t)
  const redis = gate.skip === false
  const lines: string[] = []
  const result = await runBench({
    // Two runs of each row, to see the rows of a group take turns.
    mode: { ...MODES.smoke, runs: 2 },
    root: 'src',
    pin: false,
    redisUrl: redis ? `${TEST_REDIS}/${SMOKE_REDIS_DB}` : undefined,
    logLevel: 'warn',
    // A harmless V8 flag, to see --node-flag reach the gateway and the report.
    nodeFlags: ['--max-semi-space-size=8'],
    // A second gateway runs the gateway rows again in the same turns, with a setting whose effect shows: it caches nothing.
    versusEnv: { CACHE_TTL_MS: '0' },
    log: (line) => { lines.push(line) }
  })

  // The rows of each group (a target's rows and the references read beside them), in the table's order.
  // A versus row (`-versus`) right after its own; D has none.
  const groups = [
    ['direct', 'direct-bind-fixed', 'proxy-rest', 'A-graphql', 'A-graphql-versus', 'A-rest', 'A-rest-versus'],
    ['direct-c1', 'A-graphql-c1', 'A-graphql-c1-versus', 'A-rest-c1', 'A-rest-c1-versus'],
    ['bare-rest', 'bare-graphql', 'B-memory', 'B-memory-versus', ...(redis ? ['B-redis', 'B-redis-versus'] : []), 'D-mixed'],
    ['C-loaders', 'C-loaders-versus', 'C-naive']
  ]
  t.same(result.rows.map((r) => r.id), groups.flat(), 'every scenario and floor, in order')
  const turns = lines.flatMap((line) => /\] +(\S+) run (\d)\/2:/.exec(line)?.slice(1, 3).join(' ') ?? [])
  t.same(turns, groups.flatMap((group) => [1, 2].flatMap((run) => group.map((id) => `${id} ${run}`))), 'a group\'s rows run in turns, one run of each per round')
  for (const row of result.rows) {
    t.equal(row.failures, 0, `${row.id}: no failed requests`)
    // Smoke runs are counted, so even a slow fan-out run answers its requests.
    t.ok(row.rps > 0, `${row.id}: some throughput`)
  }
  const calls = Object.fromEntries(result.rows.map((r) => [r.id, r.callsPerReq]))
  t.equal(calls['A-rest'], 1, 'uncached REST: one upstream call per request')
  t.equal(calls['A-graphql'], 1, 'uncached GraphQL: one upstream call per request')
  t.equal(calls['B-memory'], 0, 'cached: no upstream call')
  t.equal(calls['C-loaders'], FANOUT_CALLS_WITH_LOADERS, 'fan-out with loaders: one call per service')
  t.equal(calls['C-naive'], FANOUT_CALLS_NAIVE, 'naive fan-out: one call per field that needs a list')
  t.equal(calls['A-rest-versus'], 1, 'the versus gateway, uncached: one call per request')
  t.equal(calls['B-memory-versus'], 1, 'the versus gateway has its own environment: with CACHE_TTL_MS=0, B\'s reads go upstream')
  t.equal(calls['C-loaders-versus'], FANOUT_CALLS_WITH_LOADERS, 'the versus gateway\'s fan-out')
  t.same(result.versusEnv, { CACHE_TTL_MS: '0' })
  t.ok(result.notes.some((note) => note.startsWith('D has no versus row')), 'D\'s absence said')

  t.ok(result.mixed !== undefined && result.mixed.writes > 0 && result.mixed.checked > 0, 'D wrote and judged reads')
  t.equal(result.mixed?.stale, 0, 'no stale read through the gateway')
  t.ok(result.memory !== undefined && result.memory.finalMb > 0, 'E sampled RSS')
  t.equal(result.targets.length, 13, 'every target judged')

  const report = renderReport(result)
  t.match(report, /^\| scenario \| c \| req\/s \| x direct \| x bare \| p50 ms \| p99 ms \| CPU ms\/req \| RSS MB \|/m)
  for (const row of result.rows) t.ok(report.includes(`| ${row.label} | ${row.connections} |`), `${row.id} in the table`)
  t.match(report, /^\| D1 \| D\. zero stale reads/m)
  t.match(report, /^Proxy \(a reference, not a target\): .* ran at \d+\.\d\dx direct; the gateway's uncached REST read ran at \d+\.\d\dx the proxy's throughput, for \d+\.\d\dx its CPU per request/m,
    'the proxy set beside the gateway')
  t.match(report, /^Run: .*, node flags --max-semi-space-size=8, Node's AsyncResource bind /m, 'the flag reached the gateway, as it reported')
  // The bench's gateway is tuned as src/server.ts tunes the process: ASYNC_BIND_FIX where Node needs it.
  t.equal(result.gatewayBindFixed, bindDefinesAccessor(), 'the gateway ran with the bind fix where Node needs it')
  t.match(report, /^Turn-taking \(uncached, c=10\): .*\d\.\d\d direct, \d\.\d\d proxy, \d\.\d\d A REST, \d\.\d\d A GraphQL\..* A2 \(0\.75x direct, \d+ req\/s\) allows -?\d\.\d{3} ms/m,
    'the turn-taking line, from the simulator\'s CPU counted beside each process\'s')
  t.match(report, /^\| E\. memory/m)
  t.match(report, /^\| A\. uncached list, REST \[versus\] \| \d+ \| \d+ \| \d+\.\d\dx \| \d+\.\d\dx \|/m, 'a versus row is read against its own row\'s floors')
  t.match(report, /^\| A\. uncached list, REST \[versus\] \| 1 \| \d+ \| \d+\.\d\dx \| — \|/m, 'at c=1 too: direct at c=1, no bare floor')
  t.match(report, /^Versus: the rows marked \[versus\] ran again on a second gateway with CACHE_TTL_MS=0, .*own -> versus: A-graphql \d+ -> \d+ req\/s \(\d+\.\d\dx\), CPU .* \(\d+\.\d\dx; by round \d+\.\d\dx, \d+\.\d\dx\)/m)
})

/** A REST stand-in for the gateway: lists per service, creates and deletes; `stale` freezes each list at its first read. */
async function fakeGateway (t: Tap, stale: boolean): Promise<number> {
  const lists = new Map<string, string[]>(BENCH_SERVICES.map((id) => [id, []]))
  const frozen = new Map<string, string>()
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => { body += chunk.toString() })
    req.on('end', () => {
      const [, , , service, , name] = (req.url ?? '').split('/')
      const list = lists.get(service ?? '') ?? []
      if (req.method === 'POST') list.push((JSON.parse(body) as { backup_name: string }).backup_name)
      if (req.method === 'DELETE') list.splice(list.indexOf(name ?? ''), 1)
      let out = JSON.stringify({ backups: list.map((n) => ({ name: n })) })
      if (req.method === 'GET' && stale) {
        if (!frozen.has(service ?? '')) frozen.set(service ?? '', out)
        out = frozen.get(service ?? '') as string
      }
      res.setHeader('content-type', 'application/json')
      res.end(out)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return (server.address() as AddressInfo).port
}
type Tap = { teardown (fn: () => unknown): void }

t.test('the stale-read checker catches stale lists and passes fresh ones', async (t) => {
  for (const stale of [true, false]) {
    const port = await fakeGateway(t, stale)
    const mixed = new MixedWorkload(BENCH_SERVICES)
    // D's smoke run, counted: 20 writes, one per service, each followed by judged reads, however busy the host.
    const run = await runLoad({ port, path: restListPath(BENCH_SERVICES[0] as string), requests: mixed.requests(), connections: 4,
      ...budgetOf(MODES.smoke.mixedRun ?? MODES.smoke.run) })
    t.equal(run.non2xx + run.errors, 0, 'the fake answered everything')
    t.ok(mixed.stats.writes > 0 && mixed.stats.checked > 0, 'writes happened and reads were judged')
    if (stale) {
      t.ok(mixed.stats.stale > 0, `a server that serves stale lists is caught (${mixed.stats.stale} stale reads)`)
      t.ok(mixed.stats.examples.length > 0, 'with examples')
    } else {
      t.equal(mixed.stats.stale, 0, 'a fresh server passes')
    }
  }
})

t.test('a process that fails to start fails the run, and every other one is stopped', async (t) => {
  const pids = new Set<number>()
  await t.rejects(runBench({
    mode: MODES.smoke,
    root: 'src',
    pin: false,
    redisUrl: undefined,
    logLevel: 'warn',
    // Refused by node itself: the gateways exit at once, while the floors and the proxy are still starting.
    nodeFlags: ['--no-such-flag-for-the-bench'],
    log: (line) => {
      const pid = /ready \(pid (\d+)/.exec(line)?.[1]
      if (pid !== undefined) pids.add(Number(pid))
    }
  }), /bench child gateway(-\w+)? exited/)
  t.ok(pids.size > 1, `the simulator and others were up (${pids.size})`)
  const alive = [...pids].filter((pid) => {
    try {
      process.kill(pid, 0)
      return true
    } catch {
      return false
    }
  })
  t.same(alive, [], 'none left running')
})
