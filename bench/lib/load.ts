/**
 * HTTP load with autocannon, in the bench process, over keep-alive
 * connections on loopback. Latency is taken per response from
 * autocannon's own fractional-ms timing (its histogram rounds to whole ms,
 * too coarse for the 0.5 ms target), throughput per connection up to its
 * last response (closedLoopRate: a request still in flight when the run
 * stops is neither counted nor timed), and the load generator's own CPU
 * use is reported so a saturated generator is visible.
 */
import { performance } from 'node:perf_hooks'
import autocannon from 'autocannon'
import { closedLoopRate, Latencies, type ConnectionTally } from './stats.js'

/** One HTTP load run. */
export interface LoadSpec {
  port: number
  connections: number
  /** Run for this long, or until `amount` responses; one of the two. */
  durationMs?: number
  amount?: number
  method?: 'GET' | 'POST' | 'DELETE'
  path: string
  headers?: Record<string, string>
  body?: string
  /** Dynamic requests (scenario D); replaces method/path/body. */
  requests?: autocannon.Request[]
}

/** What a run measured. */
export interface LoadRun {
  completed: number
  non2xx: number
  /** Connection errors and timeouts. */
  errors: number
  elapsedMs: number
  /** Requests per second (closedLoopRate); NaN when nothing was answered. */
  rps: number
  /**
   * Requests' worth of work the run held, for CPU per request: those
   * completed, and in a timed run the requests still in flight at its end
   * in proportion (the rate over the run), as the CPU read spans them too.
   */
  work: number
  p50: number
  p99: number
  /** CPU of the bench process during the run, % of one core. */
  loadCpuPct: number
}

/** Run autocannon once. */
export async function runLoad (spec: LoadSpec): Promise<LoadRun> {
  const latencies = new Latencies()
  const tallies = new Map<unknown, ConnectionTally>()
  let non2xx = 0
  const opts: autocannon.Options = {
    url: `http://127.0.0.1:${spec.port}${spec.path}`,
    connections: spec.connections,
    pipelining: 1,
    timeout: 10,
    // autocannon stops on its sampling tick: a short one makes the run last what was asked, not up to a second more.
    sampleInt: 100,
    method: spec.method ?? 'GET',
    headers: spec.headers,
    ...(spec.body === undefined ? {} : { body: spec.body }),
    ...(spec.requests === undefined ? {} : { requests: spec.requests }),
    ...(spec.amount === undefined ? { duration: (spec.durationMs ?? 1000) / 1000 } : { amount: spec.amount })
  }
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  let t1 = t0
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(opts, (err, res) => {
      t1 = performance.now()
      if (err !== null && err !== undefined) reject(err)
      else resolve(res)
    })
    instance.on('response', (client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      latencies.add(responseTime)
      let tally = tallies.get(client)
      if (tally === undefined) tallies.set(client, tally = { completed: 0, lastAtMs: 0 })
      tally.completed++
      tally.lastAtMs = performance.now()
      if (statusCode < 200 || statusCode > 299) non2xx++
    })
  })
  const cpu = process.cpuUsage(cpu0)
  const elapsedMs = t1 - t0
  const rps = closedLoopRate(tallies.values(), t0, spec.connections)
  const [p50, p99] = latencies.percentiles([50, 99]) as [number, number]
  return {
    completed: latencies.count,
    non2xx,
    errors: result.errors + result.timeouts,
    elapsedMs,
    rps,
    work: spec.amount === undefined && Number.isFinite(rps) ? Math.max(latencies.count, rps * elapsedMs / 1000) : latencies.count,
    p50,
    p99,
    loadCpuPct: (cpu.user + cpu.system) / 1000 / elapsedMs * 100
  }
}
