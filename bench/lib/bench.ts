/**
 * The benchmark: starts the simulator (seeded with 20 services x 20
 * backups), the gateways, the two floors and the proxy reference, each in
 * its own process, runs every scenario (a warm-up, then the mode's runs,
 * medians reported) and returns the measurements with the targets judged.
 * bench/run.ts is the command line; test/bench/smoke.test.ts runs it in
 * smoke mode.
 */
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { setTimeout as sleep } from 'node:timers/promises'
import { AUTHORIZATION, BENCH_SERVICES, BACKUPS_PER_SERVICE, GRAPHQL_FANOUT, GRAPHQL_LIST, LIST_SERVICE, SERVICE_COUNT, TAG_PREFIX, restListPath } from './data.js'
import type { DirectRun } from '../procs/direct.js'
import { spawnChild, type Child, type CodeRoot, type Usage } from './ipc.js'
import { runLoad, type LoadRun } from './load.js'
import { describeMachine, pinSelf, planCpus, type CpuPlan, type Machine } from './machine.js'
import { mb, measureMemory, type MemoryResult } from './memory.js'
import { MixedWorkload, type MixedStats } from './mixed.js'
import type { Budget, Mode } from './modes.js'
import { NAIVE_PATH } from './naive-graphql.js'
import { budgetOf, checkFanout, checkListBodies, checkSameBody, fetchBody, fetchSpec, type HttpSpec } from './requests.js'
import { flushRedis } from './services.js'
import { warmUp } from './warmup.js'
import { median } from './stats.js'
import { judgeTargets, type TargetResult } from './targets.js'

export type { MemoryResult } from './memory.js'

/** Options of one bench run. */
export interface BenchOptions {
  mode: Mode
  /** Load the gateway from dist/ (built) or src/ (through tsx). */
  root: CodeRoot
  pin: boolean
  /** Redis for scenario B's second half, with a database index of its own (flushed first); undefined skips it. */
  redisUrl: string | undefined
  /** LOG_LEVEL of the gateways. */
  logLevel: string
  /** Write a --cpu-prof profile of each gateway into this directory. */
  profileDir?: string
  /** Let the children's output through. */
  verbose?: boolean
  /** Run only these scenarios (ids as in the report, e.g. `B-memory`); E is `E-memory`. Default: all. */
  only?: string[]
  /** Gateway environment on top of GATEWAY_ENV, to compare configurations (e.g. METRICS_ENABLED=false). */
  env?: Readonly<Record<string, string>>
  /** node or V8 flags of the gateway processes (not the floors), to price one side by side. */
  nodeFlags?: string[]
  /**
   * Environment of a second gateway (and a second Redis gateway) that runs
   * the same gateway rows in the same turns, each right after its own
   * (all but D; `<id>-versus`, marked [versus] in the table): an A/B of a setting, or of a change
   * behind a variable, that the host's drift cannot tell apart from run to
   * run. Its entries override `env` there.
   */
  versusEnv?: Readonly<Record<string, string>>
  /** Progress lines. */
  log: (line: string) => void
}

/** One scenario's result: medians over its runs. */
export interface Measurement {
  id: string
  label: string
  /** The process measured: a gateway, a floor, or the proxy reference. */
  measured: 'gateway' | 'direct' | 'bare' | 'proxy'
  connections: number
  rps: number
  p50: number
  p99: number
  /** CPU time of the measured process per request, ms. */
  cpuMsPerReq: number
  /** CPU time of the simulator per request, ms, and its CPU use during the runs, % of a core. */
  simCpuMsPerReq: number
  simCpuPct: number
  /** RSS of the measured process after the last run, MB. */
  rssMb: number
  /** Upstream calls per request, counted exactly over a few requests after the runs; undefined for the floors. */
  callsPerReq?: number
  /** Non-2xx responses and connection errors over all runs (warm-up excluded). */
  failures: number
  /** The bench process's CPU during the runs, % of a core (the load generator). */
  loadCpuPct: number
  /** Throughput of each run. */
  runsRps: number[]
  /** CPU ms per request of each run, in the same order. */
  runsCpuMsPerReq: number[]
  /** For a row of the versus gateway (`versusEnv`): the id of the row it runs beside. */
  versusOf?: string
  /** How long the scenario warmed up before its runs, ms. */
  warmupMs: number
}

export interface BenchResult {
  mode: Mode['name']
  root: CodeRoot
  machine: Machine
  plan: CpuPlan
  logLevel: string
  /** Requests over which upstream calls per request were counted. */
  exactRequests: number
  /** What the gateways' environment sets beyond LOG_LEVEL. */
  gatewayEnv: Readonly<Record<string, string>>
  /** The --node-flag flags the gateway process reported running with. */
  gatewayNodeFlags: string[]
  /** The versus gateway's environment, when there was one (`versusEnv`). */
  versusEnv?: Readonly<Record<string, string>>
  /** Whether the gateway process reported Node's bind replaced (ASYNC_BIND_FIX, src/ops/process-tuning.ts). */
  gatewayBindFixed: boolean
  startedAt: string
  durationS: number
  rows: Measurement[]
  mixed?: MixedStats
  memory?: MemoryResult
  targets: TargetResult[]
  notes: string[]
}

/**
 * The gateways' environment: the defaults, except the per-principal rate
 * limit, which the bench's one principal would hit within a second.
 */
export const GATEWAY_ENV: Readonly<Record<string, string>> = { RATE_LIMIT_MAX: '0' }

/**
 * The memory gateway's rows its versus twin runs too (B-redis has a versus
 * Redis gateway of its own). Not D: its writes, through one gateway, would
 * leave the other's memory cache holding the lists they changed, and the
 * stale-read checker would count that.
 */
const VERSUS_ROWS: readonly string[] = ['A-graphql', 'A-rest', 'A-graphql-c1', 'A-rest-c1', 'B-memory', 'C-loaders']
/** What a versus row's id adds to its own row's (within the characters an x-request-id may carry, which tag its counted requests). */
const VERSUS_SUFFIX = '-versus'

/** CPU ms per request of a run: over the requests' worth of work it held (LoadRun.work); NaN when it served none. */
function perRequest (cpuMs: number, run: LoadRun): number {
  return run.work > 0 ? cpuMs / run.work : NaN
}

interface Sim { seeded: number, address: string }
/** What a gateway child reports when ready: its port, and the node flags it runs with. */
interface Port { port: number, execArgv: string[], bindFixed?: boolean }
type CallCount = { total: number, byMethod: Record<string, number> }

/** Run the whole benchmark. */
export async function runBench (opts: BenchOptions): Promise<BenchResult> {
  const t0 = performance.now()
  const { mode } = opts
  const log = (line: string): void => opts.log(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(5)} s] ${line}`)
  const machine = describeMachine()
  const plan = planCpus(opts.pin)
  if (plan.load !== undefined && !pinSelf(plan.load)) plan.description += ' (pinning the bench process itself failed)'
  const notes: string[] = []
  const selected = (id: string): boolean => opts.only === undefined || opts.only.includes(id)
  const children: Child[] = []

  const gatewayEnv = (extra: Record<string, string> = {}): string => JSON.stringify({ ...GATEWAY_ENV, ...mode.gatewayEnv, LOG_LEVEL: opts.logLevel, ...opts.env, ...extra })
  // One directory per child: a process writes one profile per thread (the main one is the largest).
  const profileFlags = (name: string): string[] => opts.profileDir === undefined
    ? []
    : ['--cpu-prof', `--cpu-prof-dir=${path.join(opts.profileDir, name)}`]
  const runtime = opts.root === 'dist' ? 'compiled' : 'tsx'
  // Imported only here: loading TypeScript itself takes more than a second of CPU, which a run from src/ does not need.
  if (runtime === 'compiled') await (await import('./compile.js')).compileChildren()
  /** Every start, so a run that fails while others are still starting stops those too once they are up. */
  const starts: Array<Promise<unknown>> = []
  function start<I> (name: string, entry: string, args: string[], cpu: number | undefined, profile = false): Promise<Child<I>> {
    const nodeFlags = [...(entry === 'gateway' ? opts.nodeFlags ?? [] : []), ...(profile ? profileFlags(name) : [])]
    const started = (async () => {
      const child = await spawnChild<I>({ name, entry, runtime, args, cpu, verbose: opts.verbose, nodeFlags })
      children.push(child)
      log(`   ${name} ready (pid ${child.pid}${cpu === undefined ? '' : `, CPU ${cpu}`})`)
      return child
    })()
    starts.push(started)
    return started
  }
  async function stop (child: Child | undefined): Promise<void> {
    if (child === undefined) return
    await child.stop()
    const i = children.indexOf(child)
    if (i >= 0) children.splice(i, 1)
  }

  try {
    log(`machine: ${machine.nproc} CPUs (${machine.cpuModel}), node ${machine.node}, commit ${machine.commit}, load ${machine.loadavg}`)
    log(`pinning: ${plan.description}`)

    // Redis first: a dedicated database index, flushed.
    let redisUrl = opts.redisUrl
    if (redisUrl !== undefined) {
      const problem = await flushRedis(redisUrl)
      if (problem !== undefined) {
        notes.push(`B (Redis) skipped: ${problem}`)
        redisUrl = undefined
      }
    } else {
      notes.push('B (Redis) skipped: no Redis configured')
    }

    // The simulator first, on a port it binds itself: a port chosen here and
    // bound by the child later could be taken in between (another test file's
    // server, in the suite). Then every other process at once: the gateways
    // dial the simulator lazily, on their first request.
    log('starting the simulator (and seeding it), then the gateways, the floors and the proxy')
    const sim = await start<Sim>('simulator', 'simulator', [opts.root, '127.0.0.1:0'], plan.simulator)
    const upstream = sim.info.address
    // 140 concurrent calls per naive request would overflow the upstream queue's 200 ms wait: let them queue instead of failing.
    const naiveEnv = { UPSTREAM_QUEUE_TIMEOUT_MS: '60000' }
    const naiveOnGateway = mode.naiveOnGateway === true
    if (naiveOnGateway) notes.push(`the naive schema was served by the gateway itself (${Object.entries(naiveEnv).map(([k, v]) => `${k}=${v}`).join(' ')} there), not by a gateway of its own`)
    const [gw, gwRedis, gwNaive, direct, bare, proxy, directFixed] = await Promise.all([
      start<Port>('gateway', 'gateway', naiveOnGateway ? [opts.root, upstream, gatewayEnv(naiveEnv), 'naive'] : [opts.root, upstream, gatewayEnv()], plan.gateway, true),
      redisUrl === undefined
        ? Promise.resolve(undefined)
        : start<Port>('gateway-redis', 'gateway', [opts.root, upstream, gatewayEnv({ CACHE_REDIS_URL: redisUrl, CACHE_REDIS_PREFIX: 'vbgw-bench:' })], plan.gateway, true),
      naiveOnGateway ? Promise.resolve(undefined) : start<Port>('gateway-naive', 'gateway', [opts.root, upstream, gatewayEnv(naiveEnv), 'naive'], plan.gateway, true),
      start<Record<string, never>>('direct', 'direct', [opts.root, upstream], plan.gateway, true),
      start<Port>('bare', 'bare', [], plan.gateway),
      start<Port>('proxy', 'proxy', [opts.root, upstream], plan.gateway, true),
      start<Record<string, never>>('direct-bind-fixed', 'direct', [opts.root, upstream, 'bind-fixed'], plan.gateway, true)
    ])
    const naive = gwNaive ?? gw
    // The versus gateways, started once the others are up (they are measured by turns, not at once).
    const versusEnv = opts.versusEnv !== undefined && Object.keys(opts.versusEnv).length > 0 ? opts.versusEnv : undefined
    const gwV = versusEnv !== undefined && VERSUS_ROWS.some(selected)
      ? await start<Port>('gateway-versus', 'gateway', [opts.root, upstream, gatewayEnv(versusEnv)], plan.gateway, true)
      : undefined
    const gwRedisV = versusEnv !== undefined && redisUrl !== undefined && selected('B-redis')
      ? await start<Port>('gateway-redis-versus', 'gateway', [opts.root, upstream, gatewayEnv({ ...versusEnv, CACHE_REDIS_URL: redisUrl, CACHE_REDIS_PREFIX: 'vbgw-bench-versus:' })], plan.gateway, true)
      : undefined
    if (versusEnv !== undefined && selected('D-mixed')) notes.push('D has no versus row: its writes through one gateway would leave the other\'s memory cache stale')
    if (sim.info.seeded !== SERVICE_COUNT * BACKUPS_PER_SERVICE) throw new Error(`simulator seeded ${sim.info.seeded} backups`)
    const calls = async (): Promise<number> => (await sim.call<CallCount>('calls')).total
    /**
     * Whether the last load may have left requests in flight: a timed
     * autocannon run stops with requests unanswered, a counted one (and the
     * bench's own requests) waits for every answer.
     */
    let leftovers = true
    /**
     * After a timed run the gateway finishes the requests autocannon left
     * in flight: wait until the simulator sees no new call for 150 ms, so
     * one run's leftovers do not run into the next run's CPU time.
     */
    const quiesce = async (): Promise<void> => {
      if (!leftovers) return
      leftovers = false
      const deadline = performance.now() + 30_000
      let last = await calls()
      for (let still = 0; still < 3 && performance.now() < deadline;) {
        await sleep(50)
        const now = await calls()
        still = now === last ? still + 1 : 0
        last = now
      }
    }

    // The bare floor answers the very bytes the gateway answers.
    const fanout = checkFanout(gw.info.port, naive.info.port)
    const rest = await fetchBody(gw.info.port, 'GET', restListPath(LIST_SERVICE), undefined)
    const graphql = await fetchBody(gw.info.port, 'POST', '/graphql', JSON.stringify(GRAPHQL_LIST))
    checkListBodies(rest, graphql)
    await bare.call('bodies', { rest, graphql })
    checkSameBody('the proxy', rest, await fetchBody(proxy.info.port, 'GET', restListPath(LIST_SERVICE), undefined))
    await fanout

    const rows: Measurement[] = []
    const c = mode.connections
    const noCache = { authorization: AUTHORIZATION, 'cache-control': 'no-cache' }
    const json = { 'content-type': 'application/json' }
    const restList = (port: number, headers: Record<string, string>): HttpSpec => (b) =>
      ({ port, path: restListPath(LIST_SERVICE), headers, ...budgetOf(b) })
    const gqlPost = (port: number, urlPath: string, body: object, headers: Record<string, string>): HttpSpec => (b) =>
      ({ port, method: 'POST', path: urlPath, headers: { ...json, ...headers }, body: JSON.stringify(body), ...budgetOf(b) })

    /** Processes that have had their first warm-up. */
    const warmedUp = new Set<Child>()
    /** One row of the table: a scenario, a floor or a reference, on its process. */
    interface Planned {
      id: string
      label: string
      measured: Measurement['measured']
      proc: Child
      connections: number
      run: (b: Budget, connections: number) => Promise<LoadRun>
      /** A gateway's fixed request: upstream calls per request are counted over a few of them after its last run. */
      spec?: HttpSpec
      budgets?: { warmup: Budget, run: Budget }
      /** A versus row: the id of its own row, which decides whether it runs. */
      versusOf?: string
    }
    type Run = LoadRun & { cpuMs: number, simCpuMs: number, rss: number }
    /**
     * Warm each row up, then run the rows in turns, one run of each per
     * round, and take each row's medians. Rows whose ratio is a target are
     * measured together: on a host whose speed drifts from minute to minute
     * (a shared VM), runs a minute apart compared the drift as much as the
     * processes, and turns put each row's runs in the same stretches of time
     * as the other's. For a gateway with a fixed request (`spec`), upstream
     * calls are counted exactly over a few sequential requests right after
     * its last run.
     */
    async function measure (...planned: Planned[]): Promise<void> {
      const measuring = planned.filter((p) => selected(p.versusOf ?? p.id)).map((p) => {
        const budgets = p.budgets ?? mode
        /** One load of the row; a timed one may leave requests in flight. */
        const load = async (b: Budget): Promise<LoadRun> => {
          leftovers = true
          const r = await p.run(b, p.connections)
          leftovers = b.ms !== undefined
          return r
        }
        return { ...p, budgets, load, runs: [] as Run[], warmupMs: 0, callsPerReq: undefined as number | undefined }
      })
      /** Upstream calls per request of a gateway row with a fixed request: undefined for the others. */
      async function countCalls (m: (typeof measuring)[number]): Promise<number | undefined> {
        if (m.spec === undefined || m.measured !== 'gateway') return undefined
        // Tagged requests: the simulator counts the calls carrying their request id, whatever else is still in flight.
        // Sent once the runs' leftovers are done all the same: queued behind them, a tagged naive fan-out request overran its upstream deadline on a loaded host.
        await quiesce()
        const n = mode.exactRequests
        const tag = `${TAG_PREFIX}${m.id}`
        const base = m.spec(m.budgets.run)
        for (let i = 0; i < n; i++) await fetchSpec({ ...base, headers: { ...base.headers, 'x-request-id': `${tag}.${i}` } })
        return await sim.call<number>('tagged', tag) / n
      }
      for (const m of measuring) {
        log(`${m.id}: ${m.label} (c=${m.connections})`)
        const warmup = m.budgets.warmup
        if (warmup.amount !== undefined ? warmup.amount <= 0 : warmup.ms <= 0) continue
        await quiesce()
        if (warmup.ms === undefined) {
          // A counted warm-up (smoke): one run, however long it takes.
          m.warmupMs = (await m.load(warmup)).elapsedMs
        } else {
          // The first scenario on a process warms its code up; the process's later ones find it warm.
          const first = warmedUp.has(m.proc) ? undefined : mode.firstWarmup
          warmedUp.add(m.proc)
          const warmed = await warmUp(async (ms) => (await m.load({ ms })).completed, warmup.ms, first)
          m.warmupMs = warmed.ms
          if (first !== undefined) log(`   first warm-up on ${m.proc.name}: ${(warmed.ms / 1000).toFixed(0)} s, ${warmed.requests} requests`)
        }
      }
      for (let i = 0; i < mode.runs; i++) {
        for (const m of measuring) {
          await quiesce()
          const [u0, s0] = await Promise.all([m.proc.call<Usage>('usage'), sim.call<Usage>('usage')])
          const r = await m.load(m.budgets.run)
          const [u1, s1] = await Promise.all([m.proc.call<Usage>('usage'), sim.call<Usage>('usage')])
          const done: Run = { ...r, cpuMs: (u1.cpuMicros - u0.cpuMicros) / 1000, simCpuMs: (s1.cpuMicros - s0.cpuMicros) / 1000, rss: u1.rssBytes }
          m.runs.push(done)
          const perReq = (ms: number): string => perRequest(ms, r).toFixed(3)
          log(`   ${measuring.length > 1 ? `${m.id} ` : ''}run ${i + 1}/${mode.runs}: ${r.rps.toFixed(0)} req/s, p50 ${r.p50.toFixed(2)} ms, p99 ${r.p99.toFixed(2)} ms, ` +
            `${perReq(done.cpuMs)} CPU ms/req, simulator ${perReq(done.simCpuMs)} CPU ms/req (${(done.simCpuMs / r.elapsedMs * 100).toFixed(0)}%), ` +
            `load gen ${r.loadCpuPct.toFixed(0)}%` +
            (r.non2xx + r.errors > 0 ? `, ${r.non2xx} non-2xx, ${r.errors} errors` : ''))
          // Right after the row's last run, before the other rows' turns: B's entry, left unread
          // through them, could expire (CACHE_TTL_MS) and count its refresh as a call.
          if (i === mode.runs - 1) m.callsPerReq = await countCalls(m)
        }
      }
      for (const m of measuring) {
        const { runs, callsPerReq } = m
        rows.push({
          id: m.id,
          label: m.label,
          measured: m.measured,
          connections: m.connections,
          rps: median(runs.map((r) => r.rps)),
          p50: median(runs.map((r) => r.p50)),
          p99: median(runs.map((r) => r.p99)),
          cpuMsPerReq: median(runs.map((r) => perRequest(r.cpuMs, r))),
          simCpuMsPerReq: median(runs.map((r) => perRequest(r.simCpuMs, r))),
          simCpuPct: median(runs.map((r) => r.simCpuMs / r.elapsedMs * 100)),
          rssMb: mb(runs.at(-1)?.rss ?? 0),
          failures: runs.reduce((s, r) => s + r.non2xx + r.errors, 0),
          loadCpuPct: median(runs.map((r) => r.loadCpuPct)),
          runsRps: runs.map((r) => r.rps),
          runsCpuMsPerReq: runs.map((r) => perRequest(r.cpuMs, r)),
          warmupMs: m.warmupMs,
          ...(callsPerReq === undefined ? {} : { callsPerReq }),
          ...(m.versusOf === undefined ? {} : { versusOf: m.versusOf })
        })
      }
    }
    const http = (spec: HttpSpec) => (b: Budget, connections: number) => runLoad({ ...spec(b), connections })
    const directRun = (client: typeof direct) => async (b: Budget, connections: number): Promise<LoadRun> => {
      const r = await client.call<DirectRun>('run', { concurrency: connections, ...(b.amount === undefined ? { durationMs: b.ms } : { amount: b.amount }) })
      return { completed: r.completed, non2xx: 0, errors: r.errors, elapsedMs: r.elapsedMs, rps: r.completed / (r.elapsedMs / 1000), work: r.completed, p50: r.p50, p99: r.p99, loadCpuPct: 0 }
    }

    /** A gateway row, then the same on the versus gateway `proc` (as `spec` makes it for that gateway's port), if there is one. */
    const withVersus = (row: Planned, proc: Child<Port> | undefined, spec: (port: number) => HttpSpec): Planned[] => {
      if (proc === undefined) return [row]
      const twin = spec(proc.info.port)
      return [row, { ...row, id: `${row.id}${VERSUS_SUFFIX}`, label: `${row.label} [versus]`, proc, run: http(twin), spec: twin, versusOf: row.id }]
    }

    // Each target's rows in one group (see `measure`), the references beside the rows they are read against.
    const aGqlOn = (port: number): HttpSpec => gqlPost(port, '/graphql', GRAPHQL_LIST, noCache)
    const aRestOn = (port: number): HttpSpec => restList(port, noCache)
    const aGql = aGqlOn(gw.info.port)
    const aRest = aRestOn(gw.info.port)
    // A. Uncached list, against the direct floor; the proxy reference and the client with the bind fixed (not floors).
    await measure(
      { id: 'direct', label: 'direct: grpc-js ListBackups', measured: 'direct', proc: direct, connections: c, run: directRun(direct) },
      { id: 'direct-bind-fixed', label: 'direct, bind fixed: grpc-js ListBackups with ASYNC_BIND_FIX', measured: 'direct', proc: directFixed, connections: c, run: directRun(directFixed) },
      { id: 'proxy-rest', label: 'proxy: Fastify route, grpc-js call, REST mapping', measured: 'proxy', proc: proxy, connections: c, run: http(restList(proxy.info.port, { authorization: AUTHORIZATION })) },
      ...withVersus({ id: 'A-graphql', label: 'A. uncached list, GraphQL', measured: 'gateway', proc: gw, connections: c, run: http(aGql), spec: aGql }, gwV, aGqlOn),
      ...withVersus({ id: 'A-rest', label: 'A. uncached list, REST', measured: 'gateway', proc: gw, connections: c, run: http(aRest), spec: aRest }, gwV, aRestOn)
    )
    await measure(
      { id: 'direct-c1', label: 'direct: grpc-js ListBackups', measured: 'direct', proc: direct, connections: 1, run: directRun(direct) },
      ...withVersus({ id: 'A-graphql-c1', label: 'A. uncached list, GraphQL', measured: 'gateway', proc: gw, connections: 1, run: http(aGql), spec: aGql }, gwV, aGqlOn),
      ...withVersus({ id: 'A-rest-c1', label: 'A. uncached list, REST', measured: 'gateway', proc: gw, connections: 1, run: http(aRest), spec: aRest }, gwV, aRestOn)
    )
    // B. Cached list, against the bare floor; D. Mixed, against B, with the stale-read checker.
    const cachedOn = (port: number): HttpSpec => restList(port, { authorization: AUTHORIZATION })
    const bMemory = cachedOn(gw.info.port)
    // D never writes B's list, so B serves the bare floor's bytes between D's runs too.
    const mixed = new MixedWorkload(BENCH_SERVICES, [LIST_SERVICE])
    const mixedTotals: MixedStats = { reads: 0, writes: 0, failedWrites: 0, checked: 0, stale: 0, ambiguous: 0, examples: [] }
    const mixedRun = async (b: Budget, connections: number): Promise<LoadRun> => {
      if (mixed.unsettled) {
        // The last load's writes are finished before their outcome is read back (a few requests and 150 ms idle inside the measured window).
        await quiesce()
        await mixed.settle(async (id) => await fetchBody(gw.info.port, 'GET', restListPath(id), undefined))
      }
      mixed.resetStats()
      const r = await runLoad({ port: gw.info.port, path: '/', requests: mixed.requests(), connections, ...budgetOf(b) })
      for (const k of ['reads', 'writes', 'failedWrites', 'checked', 'stale', 'ambiguous'] as const) mixedTotals[k] += mixed.stats[k]
      mixedTotals.examples.push(...mixed.stats.examples.slice(0, 5 - mixedTotals.examples.length))
      return r
    }
    const bRedis = gwRedis === undefined ? undefined : cachedOn(gwRedis.info.port)
    await measure(
      { id: 'bare-rest', label: 'bare: Fastify route, REST list bytes', measured: 'bare', proc: bare, connections: c, run: http(restList(bare.info.port, { authorization: AUTHORIZATION })) },
      { id: 'bare-graphql', label: 'bare: Fastify route, GraphQL list bytes', measured: 'bare', proc: bare, connections: c, run: http(gqlPost(bare.info.port, '/graphql', GRAPHQL_LIST, noCache)) },
      ...withVersus({ id: 'B-memory', label: 'B. cached list, REST, memory', measured: 'gateway', proc: gw, connections: c, run: http(bMemory), spec: bMemory }, gwV, cachedOn),
      ...(gwRedis === undefined || bRedis === undefined ? [] : withVersus({ id: 'B-redis', label: 'B. cached list, REST, Redis', measured: 'gateway', proc: gwRedis, connections: c, run: http(bRedis), spec: bRedis }, gwRedisV, cachedOn)),
      { id: 'D-mixed', label: 'D. mixed 95% reads / 5% writes, REST, memory', measured: 'gateway', proc: gw, connections: c, run: mixedRun, budgets: { warmup: mode.warmup, run: mode.mixedRun ?? mode.run } }
    )
    await Promise.all([stop(gwRedis), stop(gwRedisV)])
    // C. Fan-out
    const cLoadersOn = (port: number): HttpSpec => gqlPost(port, '/graphql', GRAPHQL_FANOUT, noCache)
    const cLoaders = cLoadersOn(gw.info.port)
    const cNaive = gqlPost(naive.info.port, NAIVE_PATH, GRAPHQL_FANOUT, noCache)
    await measure(
      ...withVersus({ id: 'C-loaders', label: 'C. fan-out, 20 services, loaders', measured: 'gateway', proc: gw, connections: c, run: http(cLoaders), spec: cLoaders, budgets: mode.fanout }, gwV, cLoadersOn),
      { id: 'C-naive', label: 'C. fan-out, 20 services, naive resolvers', measured: 'gateway', proc: naive, connections: c, run: http(cNaive), spec: cNaive, budgets: mode.fanout }
    )
    await Promise.all([stop(gwNaive), stop(gwV)])
    await Promise.all([stop(direct), stop(bare), stop(proxy), stop(directFixed)])

    // E. Memory: B on a fresh gateway (the smoke mode reuses the one it has).
    let memory: MemoryResult | undefined
    if (selected('E-memory')) {
      const fresh = mode.memory.freshGateway
      const total = mode.memory.total
      log(`E: memory, B on ${fresh ? 'a fresh' : 'the same'} gateway for ${total.ms === undefined ? `${total.amount} requests` : `${total.ms / 1000} s`}`)
      if (fresh) await stop(gw)
      const gwE = fresh ? await start<Port>('gateway-memory', 'gateway', [opts.root, upstream, gatewayEnv()], plan.gateway, true) : gw
      memory = await measureMemory(gwE, mode, runLoad({ ...restList(gwE.info.port, { authorization: AUTHORIZATION })(total), connections: c }))
      log(`   RSS ${memory.earlyMb.toFixed(1)} MB at ${memory.earlyAtS.toFixed(0)} s, ` +
        `${memory.finalMb.toFixed(1)} MB at ${memory.finalAtS.toFixed(0)} s, max ${memory.maxMb.toFixed(1)} MB`)
      await stop(gwE)
    }
    await stop(gw)

    const result: BenchResult = {
      mode: mode.name,
      root: opts.root,
      machine,
      plan,
      logLevel: opts.logLevel,
      gatewayEnv: { ...GATEWAY_ENV, ...mode.gatewayEnv, ...opts.env },
      // As the gateway reports them: a flag that did not reach it is not claimed.
      gatewayNodeFlags: (opts.nodeFlags ?? []).filter((flag) => gw.info.execArgv.includes(flag)),
      gatewayBindFixed: gw.info.bindFixed === true,
      ...(versusEnv === undefined ? {} : { versusEnv }),
      exactRequests: mode.exactRequests,
      startedAt: new Date(Date.now() - (performance.now() - t0)).toISOString(),
      durationS: 0,
      rows,
      ...(selected('D-mixed') ? { mixed: mixedTotals } : {}),
      ...(memory === undefined ? {} : { memory }),
      targets: [],
      notes
    }
    result.targets = judgeTargets(result)
    result.durationS = (performance.now() - t0) / 1000
    return result
  } finally {
    // A failed start (Promise.all) leaves the others still starting: wait for them, then stop everyone.
    await Promise.allSettled(starts)
    await Promise.all(children.map((child) => child.stop().catch(() => {})))
  }
}
