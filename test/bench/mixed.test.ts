/**
 * Scenario D's checker across loads: a timed load stops with a write in
 * flight and autocannon drops its answer, so the checker cannot know what
 * the service holds. `settle` reads it back; without it that service stayed
 * "writing" for the rest of the scenario, never written again and its reads
 * never judged. Driven here through the request hooks autocannon calls,
 * with made-up answers.
 */
import type autocannon from 'autocannon'
import t from 'tap'
import { MixedWorkload, WRITE_EVERY } from '../../bench/lib/mixed.js'

const SERVICES = ['svc-a', 'svc-b']

/** The two hooks of the workload's request, as functions (autocannon's type also takes a module path). */
interface Hooks {
  setupRequest: (req: autocannon.Request, context: object) => autocannon.Request
  onResponse: (status: number, body: string, context: object, headers: object) => void
}

/** The workload's one dynamic request, as autocannon drives it: set up, then (maybe) answered. */
function driver (mixed: MixedWorkload): { send: () => { req: autocannon.Request, answer: (status: number, body: string) => void } } {
  const hooks = mixed.requests()[0] as unknown as Hooks
  return {
    send () {
      const context: Record<string, unknown> = {}
      const req = hooks.setupRequest({}, context)
      return { req, answer: (status, body) => { hooks.onResponse(status, body, context, {}) } }
    }
  }
}

/** Send requests until the next write; answer the reads with `list`. */
function untilWrite (d: ReturnType<typeof driver>, list: string): { req: autocannon.Request, answer: (status: number, body: string) => void } {
  for (let i = 0; i < WRITE_EVERY; i++) {
    const sent = d.send()
    if (sent.req.method !== 'GET') return sent
    sent.answer(200, list)
  }
  throw new Error('no write within WRITE_EVERY requests')
}

const listOf = (...names: string[]): string => JSON.stringify({ backups: names.map((name) => ({ name })) })

t.test('a write left unanswered by a load is read back before the next', async (t) => {
  // One service: every write and every read is on it.
  const mixed = new MixedWorkload(SERVICES.slice(0, 1))
  const d = driver(mixed)
  const create = untilWrite(d, listOf())
  t.equal(create.req.method, 'POST', 'the first write creates')
  const name = (JSON.parse(create.req.body as string) as { backup_name: string }).backup_name
  const service = create.req.path?.split('/')[3] as string
  // The load ends here: the create's answer never comes.
  t.ok(mixed.unsettled, 'a write without its answer leaves the workload unsettled')

  const asked: string[] = []
  await mixed.settle(async (id) => { asked.push(id); return id === service ? listOf('seed-1', name) : listOf() })
  t.same(asked, [service], 'the service is read back')
  t.notOk(mixed.unsettled)

  // Its reads are judged again, against what the read-back found.
  mixed.resetStats()
  const del = untilWrite(d, listOf(name))
  t.same({ checked: mixed.stats.checked, stale: mixed.stats.stale }, { checked: WRITE_EVERY - 1, stale: 0 }, 'reads listing the backup are judged fresh')
  // The next write deletes it.
  t.equal(del.req.method, 'DELETE', 'the service is written again')
  t.equal(del.req.path, `/v1/vbase/${service}/backup/${name}`, 'deleting the backup the read-back found')
  del.answer(200, '{}')
  const late = d.send()
  late.answer(200, listOf(name))
  t.equal(mixed.stats.stale, 1, 'a read still listing it after the delete is stale')
})

t.test('only services left unsettled are read back', async (t) => {
  const mixed = new MixedWorkload(SERVICES)
  const create = untilWrite(driver(mixed), listOf())
  const service = create.req.path?.split('/')[3] as string
  const asked: string[] = []
  await mixed.settle(async (id) => { asked.push(id); return listOf() })
  t.same(asked, [service])
})

t.test('a read-back finding two bench backups stops the scenario', async (t) => {
  const mixed = new MixedWorkload(SERVICES)
  const create = untilWrite(driver(mixed), listOf())
  const service = create.req.path?.split('/')[3] as string
  await t.rejects(mixed.settle(async () => listOf(`mix-${service}-000000`, `mix-${service}-000001`)), /holds 2 bench backups/)
})

t.test('a failed write is read back too', async (t) => {
  const mixed = new MixedWorkload(SERVICES)
  const create = untilWrite(driver(mixed), listOf())
  create.answer(503, '{}')
  t.equal(mixed.stats.failedWrites, 1)
  t.ok(mixed.unsettled, 'its outcome is unknown')
  await mixed.settle(async () => listOf())
  t.notOk(mixed.unsettled)
})

t.test('a read-only service is read and never written', async (t) => {
  const mixed = new MixedWorkload(['svc-a', 'svc-b', 'svc-c'], ['svc-a'])
  const d = driver(mixed)
  const read = new Set<string>()
  const written = new Set<string>()
  for (let i = 0; i < WRITE_EVERY * 6; i++) {
    const sent = d.send()
    const service = sent.req.path?.split('/')[3] as string
    if (sent.req.method === 'GET') {
      read.add(service)
      sent.answer(200, listOf())
    } else {
      written.add(service)
      sent.answer(200, '{}')
    }
  }
  t.same([...read].sort(), ['svc-a', 'svc-b', 'svc-c'], 'every service is read')
  t.same([...written].sort(), ['svc-b', 'svc-c'], 'writes rotate over the others')
  t.throws(() => new MixedWorkload(['svc-a'], ['svc-a']), /no service left to write/)
})
