/**
 * Scenario D: 95% reads, 5% writes over REST, and the stale-read checker.
 *
 * Reads rotate over the services' backup lists (served from the cache).
 * Every twentieth request is a write, rotating over the services (those
 * not kept read-only): it creates a backup `mix-<service>-<n>` when the
 * service holds none, and deletes it otherwise, so each list keeps its
 * size. At most one write per service is in flight.
 *
 * The check: a read that starts after a write completed (its response was
 * received) must show the write: the created backup present, the deleted
 * one absent. A read that overlaps a write on its service is ambiguous (it
 * may legitimately see either state) and is counted but not judged.
 */
import type autocannon from 'autocannon'
import { AUTHORIZATION, BENCH_ORG_ID, restListPath } from './data.js'

/** What the checker saw. */
export interface MixedStats {
  reads: number
  writes: number
  failedWrites: number
  /** Reads judged against a completed write. */
  checked: number
  /** Judged reads that missed a completed write. */
  stale: number
  /** Reads that overlapped a write on their service, not judged. */
  ambiguous: number
  /** The first few stale reads, described. */
  examples: string[]
}

interface ServiceState {
  id: string
  /** Writes completed on the service. */
  cycle: number
  /** The bench backup the service holds now, by completed writes. */
  present: string | undefined
  /** The last bench backup a completed write deleted. */
  deleted: string | undefined
  writing: boolean
  /** Bumped when a write starts: a read that sees it change overlapped a write. */
  epoch: number
  /** A write failed: its outcome is unknown, so reads of the service are no longer judged. */
  tainted: boolean
}

type Context = Record<string, unknown> & {
  svc?: number
  kind?: 'read' | 'write'
  op?: 'create' | 'delete'
  name?: string
  epoch?: number
  overlapped?: boolean
  expectPresent?: string
  expectAbsent?: string
}

/** One write in this many requests. */
export const WRITE_EVERY = 20

const nameToken = (name: string): string => `"name":"${name}"`

/** The mixed workload over `services`; `requests()` feeds autocannon, `stats` holds the verdict. */
export class MixedWorkload {
  readonly stats: MixedStats = { reads: 0, writes: 0, failedWrites: 0, checked: 0, stale: 0, ambiguous: 0, examples: [] }
  private readonly services: ServiceState[]
  private counter = 0
  private nextWriteTarget = 0

  /** Indexes of the services writes rotate over. */
  private readonly writable: number[]

  /**
   * Reads rotate over `serviceIds`, writes over those not in `readOnly`:
   * the bench keeps B's list out of D's writes, so the two can run in turns
   * with B still serving the very bytes the bare floor answers.
   */
  constructor (serviceIds: readonly string[], readOnly: readonly string[] = []) {
    this.services = serviceIds.map((id) => ({ id, cycle: 0, present: undefined, deleted: undefined, writing: false, epoch: 0, tainted: false }))
    this.writable = serviceIds.flatMap((id, i) => readOnly.includes(id) ? [] : [i])
    if (this.writable.length === 0) throw new Error('no service left to write')
  }

  /** Whether a load ended with a write unanswered, or a write failed: `settle` must run before the next load. */
  get unsettled (): boolean {
    return this.services.some((svc) => svc.writing || svc.tainted)
  }

  /**
   * Learn the state of each service whose last write the checker never saw
   * answered (a timed load stops with requests in flight; autocannon drops
   * their answers) or saw fail: `readList` must answer the service's list
   * from VBase, once the gateway has finished what the load left. Without
   * it such a service stayed "writing" for the rest of the scenario: never
   * written again and its reads never judged.
   */
  async settle (readList: (serviceId: string) => Promise<string>): Promise<void> {
    for (const svc of this.services) {
      if (!svc.writing && !svc.tainted) continue
      const own = [...(await readList(svc.id)).matchAll(/"name":"(mix-[^"]*)"/g)]
        .map((m) => m[1] as string).filter((name) => name.startsWith(`mix-${svc.id}-`))
      if (own.length > 1) throw new Error(`${svc.id} holds ${own.length} bench backups: ${own.join(', ')}`)
      Object.assign(svc, { cycle: svc.cycle + 1, present: own[0], deleted: undefined, writing: false, tainted: false, epoch: svc.epoch + 1 })
    }
  }

  /** Reset the counts (between runs); the services' state carries over. */
  resetStats (): void {
    Object.assign(this.stats, { reads: 0, writes: 0, failedWrites: 0, checked: 0, stale: 0, ambiguous: 0, examples: [] })
  }

  /** The autocannon request list: one dynamic request, built just before each send. */
  requests (): autocannon.Request[] {
    return [{
      setupRequest: (req, context) => this.setup(req, context as Context),
      onResponse: (status, body, context) => { this.done(status, body, context as Context) }
    }]
  }

  private setup (req: autocannon.Request, ctx: Context): autocannon.Request {
    const n = this.counter++
    const headers = { authorization: AUTHORIZATION, 'content-type': 'application/json' }
    if (n % WRITE_EVERY === WRITE_EVERY - 1) {
      const index = this.writable[this.nextWriteTarget++ % this.writable.length] as number
      const svc = this.services[index] as ServiceState
      if (!svc.writing) {
        svc.writing = true
        svc.epoch++
        ctx.svc = index
        ctx.kind = 'write'
        if (svc.present === undefined) {
          const name = `mix-${svc.id}-${String(svc.cycle).padStart(6, '0')}`
          Object.assign(ctx, { op: 'create', name })
          return {
            ...req,
            method: 'POST',
            path: restListPath(svc.id),
            headers,
            body: JSON.stringify({ service_id: svc.id, organization_id: BENCH_ORG_ID, db_name: 'benchdb', collection_names: ['orders'], backup_name: name })
          }
        }
        Object.assign(ctx, { op: 'delete', name: svc.present })
        return { ...req, method: 'DELETE', path: `${restListPath(svc.id)}/${svc.present}`, headers: { authorization: AUTHORIZATION }, body: undefined }
      }
      // A write is in flight on that service already: read instead.
    }
    const index = n % this.services.length
    const svc = this.services[index] as ServiceState
    Object.assign(ctx, {
      svc: index,
      kind: 'read',
      epoch: svc.epoch,
      overlapped: svc.writing || svc.tainted,
      expectPresent: svc.present,
      expectAbsent: svc.deleted
    })
    return { ...req, method: 'GET', path: restListPath(svc.id), headers: { authorization: AUTHORIZATION }, body: undefined }
  }

  private done (status: number, body: string, ctx: Context): void {
    const svc = this.services[ctx.svc ?? -1]
    if (svc === undefined) return
    const ok = status >= 200 && status < 300
    if (ctx.kind === 'write') {
      this.stats.writes++
      svc.writing = false
      if (!ok) {
        this.stats.failedWrites++
        svc.tainted = true
        return
      }
      svc.cycle++
      if (ctx.op === 'create') {
        svc.present = ctx.name
      } else {
        svc.present = undefined
        svc.deleted = ctx.name
      }
      return
    }
    this.stats.reads++
    if (!ok) return
    if (ctx.overlapped === true || svc.epoch !== ctx.epoch) {
      this.stats.ambiguous++
      return
    }
    // Nothing written on this service yet: nothing to judge.
    if (ctx.expectPresent === undefined && ctx.expectAbsent === undefined) return
    this.stats.checked++
    const missing = ctx.expectPresent !== undefined && !body.includes(nameToken(ctx.expectPresent))
    const resurrected = ctx.expectAbsent !== undefined && body.includes(nameToken(ctx.expectAbsent))
    if (missing || resurrected) {
      this.stats.stale++
      if (this.stats.examples.length < 5) {
        this.stats.examples.push(missing
          ? `${svc.id}: read started after ${ctx.expectPresent} was created, list lacks it`
          : `${svc.id}: read started after ${ctx.expectAbsent} was deleted, list still has it`)
      }
    }
  }
}
