/**
 * The report: one markdown table of every scenario and floor (absolute
 * figures and both ratios), the targets with their verdicts, and what D and
 * E saw. The same text goes to stdout and, for a full run, into
 * bench/RESULTS.md.
 */
import type { BenchResult, Measurement } from './bench.js'
import { WRITE_EVERY } from './mixed.js'
import { MODES } from './modes.js'
import { CHECKS } from './targets.js'
import type { FirstWarmup } from './warmup.js'

/** How a process's first warm-up ends, in words. */
const firstWarmup = (w: FirstWarmup | undefined): string => w === undefined ? '' : ` (until ${w.requests} requests, at most ${w.maxMs / 1000} s)`

/** Which floor rows a row is compared with. */
function floorsOf (row: Measurement): { direct?: string, bare?: string } {
  // A versus row has its own row's floors.
  const id = row.versusOf ?? row.id
  const graphql = id.includes('graphql')
  const c1 = id.endsWith('-c1')
  if (id.startsWith('A-')) return { direct: c1 ? 'direct-c1' : 'direct', ...(c1 ? {} : { bare: graphql ? 'bare-graphql' : 'bare-rest' }) }
  if (id.startsWith('B-') || id === 'D-mixed') return { direct: 'direct', bare: 'bare-rest' }
  if (id === 'direct' || id === 'proxy-rest' || id === 'direct-bind-fixed') return { direct: 'direct', bare: 'bare-rest' }
  if (id === 'direct-c1') return { direct: 'direct-c1' }
  if (id.startsWith('bare-')) return { direct: 'direct', bare: id }
  return {}
}

const num = (x: number, digits: number): string => Number.isFinite(x) ? x.toFixed(digits) : '—'
const verdict = (met: boolean | undefined): string => met === undefined ? 'not measured' : met ? 'met' : '**missed**'

/**
 * The proxy reference beside the gateway's uncached REST row: what the
 * gateway's features cost on top of the least a REST gateway does.
 */
function proxyLine (rows: Map<string, Measurement>): string | undefined {
  const proxy = rows.get('proxy-rest')
  const gateway = rows.get('A-rest')
  const direct = rows.get('direct')
  if (proxy === undefined || gateway === undefined || !(proxy.rps > 0) || !(proxy.cpuMsPerReq > 0)) return undefined
  return 'Proxy (a reference, not a target): the same call and the same bytes from a bare Fastify route with none of the gateway\'s features' +
    `${direct === undefined ? '' : ` ran at ${num(proxy.rps / direct.rps, 2)}x direct`}; ` +
    `the gateway's uncached REST read ran at ${num(gateway.rps / proxy.rps, 2)}x the proxy's throughput, ` +
    `for ${num(gateway.cpuMsPerReq / proxy.cpuMsPerReq, 2)}x its CPU per request (${num(gateway.cpuMsPerReq, 3)} against ${num(proxy.cpuMsPerReq, 3)} ms).`
}

/**
 * The direct floor with the gateway's ASYNC_BIND_FIX beside the floor the
 * targets use: Node 20's bind costs the plain grpc-js client what the fix
 * saves the gateway, so the uncached ratios are given against both.
 */
export function boundFloorLine (rows: Map<string, Measurement>): string | undefined {
  const fixed = rows.get('direct-bind-fixed')
  const direct = rows.get('direct')
  if (fixed === undefined || direct === undefined || !(fixed.rps > 0) || !(direct.rps > 0)) return undefined
  const against = ([['A-graphql', 'A GraphQL'], ['A-rest', 'A REST']] as const).flatMap(([id, name]) => {
    const m = rows.get(id)
    return m === undefined || !(m.rps > 0) ? [] : [`${name} ${num(m.rps / fixed.rps, 2)}x (${num(m.rps / direct.rps, 2)}x the plain floor)`]
  })
  return 'Direct with the bind fixed (a reference, not the floor of the targets): the same grpc-js client with the gateway\'s ASYNC_BIND_FIX ' +
    `ran at ${num(fixed.rps / direct.rps, 2)}x the plain one, for ${num(fixed.cpuMsPerReq, 3)} against ${num(direct.cpuMsPerReq, 3)} CPU ms per call` +
    (against.length === 0 ? '.' : `; against it, uncached at c=10: ${against.join(', ')}.`)
}

/** The uncached rows the turn-taking line reads, at c=10, and the target each is judged by. */
const TURN_ROWS: ReadonlyArray<{ id: string, name: string, target?: string }> = [
  { id: 'direct', name: 'direct' },
  { id: 'proxy-rest', name: 'proxy' },
  { id: 'A-rest', name: 'A REST', target: 'A2' },
  { id: 'A-graphql', name: 'A GraphQL', target: 'A1' }
]

/**
 * Uncached throughput against the CPU per call of the measured process and
 * the simulator. On loopback at c=10 the two mostly take turns: req/s times
 * their summed CPU seconds per call stays near 1.1 whatever the process
 * (1.06-1.14 over 20 rows of five runs). So a throughput target is a CPU
 * budget: at a row's own product and simulator cost, `goal x direct` req/s
 * allows `product / (goal x direct) - simulator` ms of gateway CPU per call.
 */
export function turnTakingLine (rows: Map<string, Measurement>): string | undefined {
  const direct = rows.get('direct')
  const usable = (m: Measurement | undefined): m is Measurement => m !== undefined && m.rps > 0 && m.cpuMsPerReq > 0 && m.simCpuMsPerReq > 0
  if (!usable(direct)) return undefined
  const product = (m: Measurement): number => m.rps * (m.cpuMsPerReq + m.simCpuMsPerReq) / 1000
  const present = TURN_ROWS.flatMap((r) => {
    const m = rows.get(r.id)
    return usable(m) ? [{ ...r, m }] : []
  })
  const products = present.map((r) => `${num(product(r.m), 2)} ${r.name}`).join(', ')
  const budgets = present.flatMap((r) => {
    const check = CHECKS.find((c) => c.id === r.target)
    if (check?.kind !== 'min-ratio') return []
    const goalRps = check.goal * direct.rps
    const budget = product(r.m) / goalRps * 1000 - r.m.simCpuMsPerReq
    return [`${check.id} (${check.goal}x direct, ${num(goalRps, 0)} req/s) allows ${num(budget, 3)} ms of gateway CPU per ${r.name} read ` +
      `(${num(r.m.cpuMsPerReq, 3)} measured, simulator ${num(r.m.simCpuMsPerReq, 3)})`]
  })
  return 'Turn-taking (uncached, c=10): req/s x (CPU ms per call of the measured process + the simulator\'s) / 1000 = ' +
    `${products}. Where these agree, the two processes take turns more than they overlap, and uncached throughput is set by the CPU both spend per call` +
    (budgets.length === 0 ? '.' : `. At each row's own product and simulator cost, ${budgets.join('; ')}.`)
}

/**
 * What D's writes cost, in B's hits, against what D2 allows them. A cycle
 * of D is WRITE_EVERY requests: one write, and reads, of which the one
 * after the write goes upstream (the write invalidated its list) and the
 * rest are hits. Like B, D is bound by the gateway's CPU (req/s x CPU per
 * request near 1 CPU), so D2 is a CPU budget: at D's own load, `goal x B`
 * req/s allows `load / (goal x B)` ms per request, and what a cycle's
 * hits (at B's cost) leave of it is what the write and the read after it
 * may cost. Each of those is one upstream call; the direct floor's CPU per
 * call (c=1: a lone call, as D's are among its hits; c=10) is what the
 * grpc-js client alone spends on one.
 */
export function writeCycleLine (rows: Map<string, Measurement>, writeEvery = WRITE_EVERY): string | undefined {
  const d = rows.get('D-mixed')
  const b = rows.get('B-memory')
  const check = CHECKS.find((c) => c.id === 'D2')
  if (d === undefined || b === undefined || check?.kind !== 'min-ratio' || !(d.rps > 0 && d.cpuMsPerReq > 0 && b.rps > 0 && b.cpuMsPerReq > 0)) return undefined
  const hit = b.cpuMsPerReq
  const hits = writeEvery - 2
  const load = (m: Measurement): number => m.rps * m.cpuMsPerReq / 1000
  const spent = d.cpuMsPerReq * writeEvery - hits * hit
  const goalRps = check.goal * b.rps
  const allowedPerReq = load(d) / goalRps * 1000
  const allowed = allowedPerReq * writeEvery - hits * hit
  const floors = ([['direct-c1', 'c=1'], ['direct', 'c=10']] as const).flatMap(([id, c]) => {
    const m = rows.get(id)
    return m === undefined || !(m.cpuMsPerReq > 0) ? [] : [`${num(m.cpuMsPerReq, 3)} ms at ${c} (${num(m.cpuMsPerReq / hit, 1)} hits)`]
  })
  return `D's writes (c=${d.connections}): gateway load (req/s x CPU ms per request / 1000) ${num(load(b), 2)} in B, ${num(load(d), 2)} in D. ` +
    `A cycle of ${writeEvery} requests (a write, ${writeEvery - 1} reads) cost ${num(d.cpuMsPerReq * writeEvery, 2)} ms of gateway CPU; ` +
    `less ${hits} reads at B's ${num(hit, 3)} ms per hit, the write and the read after it, which goes upstream, cost ${num(spent, 2)} ms (${num(spent / hit, 1)} hits). ` +
    `${check.id} (${check.goal}x B, ${num(goalRps, 0)} req/s) at D's own load allows ${num(allowedPerReq, 3)} ms per request: ` +
    `${num(allowed, 2)} ms (${num(allowed / hit, 1)} hits) for the write and that read, one upstream call each` +
    (floors.length === 0 ? '.' : `; the direct floor's grpc-js client alone spends ${floors.join(' and ')} per call.`)
}

/**
 * The versus gateway's rows (`versusEnv`) against their own: each ran
 * right after its own row in every round, so the ratios, and the CPU ratio
 * round by round, compare the same stretches of the host's time.
 */
export function versusLine (rows: Map<string, Measurement>, versusEnv: BenchResult['versusEnv']): string | undefined {
  if (versusEnv === undefined) return undefined
  const env = Object.entries(versusEnv).map(([k, v]) => `${k}=${v}`).join(' ')
  const pairs = [...rows.values()].flatMap((v) => {
    const own = v.versusOf === undefined ? undefined : rows.get(v.versusOf)
    return own === undefined ? [] : [{ own, v }]
  })
  if (pairs.length === 0) return `Versus (${env}): no row ran on the versus gateway.`
  const ratio = (own: number, v: number): string => `${num(v / own, 2)}x`
  const described = pairs.map(({ own, v }) => {
    const rounds = own.runsCpuMsPerReq.flatMap((x, i) => {
      const y = v.runsCpuMsPerReq[i]
      return y === undefined ? [] : [ratio(x, y)]
    })
    return `${own.id} ${num(own.rps, 0)} -> ${num(v.rps, 0)} req/s (${ratio(own.rps, v.rps)}), ` +
      `CPU ${num(own.cpuMsPerReq, 3)} -> ${num(v.cpuMsPerReq, 3)} ms per request (${ratio(own.cpuMsPerReq, v.cpuMsPerReq)}; by round ${rounds.join(', ')})`
  })
  return `Versus: the rows marked [versus] ran again on a second gateway with ${env}, each right after its own row in every round; ` +
    `own -> versus: ${described.join('; ')}.`
}

/** Render the result as markdown. */
export function renderReport (r: BenchResult): string {
  const rows = new Map(r.rows.map((m) => [m.id, m]))
  const ratio = (row: Measurement, ref: string | undefined): string => {
    const floor = ref === undefined ? undefined : rows.get(ref)
    return floor === undefined ? '—' : `${num(row.rps / floor.rps, 2)}x`
  }
  const lines: string[] = []
  const warm = r.rows.map((m) => m.warmupMs).filter((ms) => ms > 0)
  const seconds = (ms: number): string => num(ms / 1000, 0)
  const [shortest, longest] = warm.length === 0 ? [] : [seconds(Math.min(...warm)), seconds(Math.max(...warm))]
  const warmSpan = shortest === undefined ? '' : ` (${shortest === longest ? shortest : `${shortest}-${longest}`} s)`
  const runs = r.mode === 'smoke'
    ? 'smoke: a few dozen counted requests per scenario'
    : r.mode === 'full' ? `full: warm-up${warmSpan}, longer on a process's first scenario${firstWarmup(MODES.full.firstWarmup)}, then 3 runs, the rows a target compares in turns, medians` : 'quick: warm-up, then 1 short run'
  lines.push(`Machine: ${r.machine.nproc} CPUs, ${r.machine.cpuModel}; Node ${r.machine.node}; commit ${r.machine.commit}; ` +
    `load average at start ${r.machine.loadavg}.`)
  const env = Object.entries(r.gatewayEnv).map(([k, v]) => `${k}=${v}`).join(' ')
  lines.push(`Run: ${runs}; gateway from ${r.root === 'dist' ? 'dist/ (tsc output) under node' : 'src/ through tsx'}, ` +
    `default configuration except LOG_LEVEL=${r.logLevel}${env === '' ? '' : ` ${env}`}` +
    `${r.gatewayNodeFlags.length === 0 ? '' : `, node flags ${r.gatewayNodeFlags.join(' ')}`}` +
    `, Node's AsyncResource bind ${r.gatewayBindFixed ? 'replaced (ASYNC_BIND_FIX)' : 'left as it is'}; ` +
    `${r.plan.description}; took ${num(r.durationS, 0)} s; ${r.startedAt}.`)
  lines.push('')
  lines.push('| scenario | c | req/s | x direct | x bare | p50 ms | p99 ms | CPU ms/req | RSS MB | upstream calls/req | failures |')
  lines.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|')
  for (const m of r.rows) {
    const floors = floorsOf(m)
    lines.push(`| ${m.label} | ${m.connections} | ${num(m.rps, 0)} | ${ratio(m, floors.direct)} | ${ratio(m, floors.bare)} | ` +
      `${num(m.p50, 2)} | ${num(m.p99, 2)} | ${num(m.cpuMsPerReq, 3)} | ${num(m.rssMb, 0)} | ` +
      `${m.callsPerReq === undefined ? '—' : num(m.callsPerReq, 1)} | ${m.failures} |`)
  }
  if (r.memory !== undefined) {
    const e = r.memory
    lines.push(`| E. memory: B for ${num(e.finalAtS, 0)} s, ${e.fresh ? 'fresh' : 'same'} gateway | ${r.rows.find((m) => m.id === 'B-memory')?.connections ?? '—'} | ` +
      `${num(e.rps, 0)} | — | — | — | — | — | ${num(e.earlyMb, 0)} at ${num(e.earlyAtS, 0)} s, ${num(e.finalMb, 0)} at ${num(e.finalAtS, 0)} s | 0 | ${e.failures} |`)
  }
  lines.push('')
  lines.push('CPU ms/req and RSS are the measured process\'s own (the gateway; the grpc-js client for direct; the bare server for bare; the proxy server for proxy). ' +
    '"x direct" and "x bare" are throughput ratios to the floor rows of this run at the same concurrency. ' +
    `Upstream calls per request: counted by the simulator over ${r.exactRequests} sequential requests after the runs, by their x-request-id.`)
  const proxy = proxyLine(rows)
  if (proxy !== undefined) lines.push('', proxy)
  const boundFloor = boundFloorLine(rows)
  if (boundFloor !== undefined) lines.push('', boundFloor)
  const turns = turnTakingLine(rows)
  if (turns !== undefined) lines.push('', turns)
  const writes = writeCycleLine(rows)
  if (writes !== undefined) lines.push('', writes)
  const against = versusLine(rows, r.versusEnv)
  if (against !== undefined) lines.push('', against)
  lines.push('')
  lines.push('| | target | measured | verdict |')
  lines.push('|---|---|---|---|')
  for (const t of r.targets) lines.push(`| ${t.id} | ${t.text} | ${t.measured} | ${verdict(t.met)}${t.miss === undefined ? '' : `: ${t.miss}`} |`)
  lines.push('')
  if (r.mixed !== undefined) {
    const d = r.mixed
    lines.push(`D: ${d.reads} reads, ${d.writes} writes (${d.failedWrites} failed); ${d.checked} reads judged against a completed write, ` +
      `${d.ambiguous} overlapped a write on their service and were not judged; ${d.stale} stale.` +
      (d.examples.length === 0 ? '' : ` First stale reads: ${d.examples.join('; ')}.`))
  }
  const failing = r.rows.filter((m) => m.failures > 0)
  if (failing.length > 0) lines.push(`Failures (non-2xx or connection errors) in: ${failing.map((m) => `${m.id} (${m.failures})`).join(', ')}: their figures are not valid.`)
  for (const note of r.notes) lines.push(`Note: ${note}`)
  if (r.mode !== 'full') lines.push(`Note: a ${r.mode} run; its figures are not comparable with the targets' intent (short runs, no medians).`)
  return lines.join('\n') + '\n'
}
