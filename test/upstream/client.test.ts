import t from 'tap'
import { Metadata, status } from '@grpc/grpc-js'
import { contract } from '../../src/upstream/contract.js'
import { createUpstreamClient, RETRY_MESSAGE, toUpstreamError, type UpstreamClient } from '../../src/upstream/client.js'
import { createConcurrencyLimit, limitUpstreamConcurrency } from '../../src/upstream/concurrency.js'
import { createVbase } from '../../src/upstream/vbase.js'
import { contextFromHeaders } from '../../src/upstream/metadata.js'
import { SAFE_UPSTREAM_MESSAGES, UpstreamError, WORDLESS_UPSTREAM_MESSAGES, WRITE_OUTCOME_UNKNOWN_MESSAGES } from '../../src/errors.js'
import { startSimulator, type Simulator } from '../../src/simulator/index.js'
import { DEV_TOKEN, DEMO_ORG_ID } from '../../src/simulator/seed.js'
import { waitFor, type Teardownable } from '../helpers/app.js'

const AUTH = `Bearer ${DEV_TOKEN}`
/** The gRPC code a call failed with, or undefined when it succeeded. */
const codeOf = async (p: Promise<unknown>): Promise<number | undefined> =>
  await p.then(() => undefined, (err: UpstreamError) => err.grpcCode)
const ctx = (extra: Record<string, string> = {}) => contextFromHeaders({ authorization: AUTH, ...extra })

async function setup (t: Teardownable, opts: { timeoutMs?: number, readAttempts?: number } = {}): Promise<{ sim: Simulator, client: UpstreamClient }> {
  const sim = await startSimulator({ port: 0, seed: false })
  const client = createUpstreamClient({ address: sim.address, timeoutMs: opts.timeoutMs ?? 2000, readAttempts: opts.readAttempts ?? 3, retryBaseMs: 5 })
  t.teardown(async () => { client.close(); await sim.close() })
  return { sim, client }
}

// The reference's example bodies, exactly as written (snake_case JSON).
const SERVICE = 'svc-reference'
const createBody = `{"service_id":"${SERVICE}","organization_id":"${DEMO_ORG_ID}","db_name":"tenantdb","collection_names":["docs"],"backup_name":"docs-backup-001"}`
const listBody = `{"service_id":"${SERVICE}"}`
const restoreBody = `{"service_id":"${SERVICE}","organization_id":"${DEMO_ORG_ID}","backup_name":"docs-backup-001","db_name":"tenantdb","collection_names":["docs"]}`
const policyBody = `{"service_id":"${SERVICE}","organization_id":"${DEMO_ORG_ID}","schedule_cron":"0 0 * * *","retention_count":7}`

t.test('the reference examples go through the client to the simulator', async (t) => {
  const { client } = await setup(t)
  const vbase = createVbase({ client })
  const created = await vbase.call('CreateBackup', JSON.parse(createBody), ctx())
  t.equal(created.name, 'docs-backup-001')
  t.equal(created.status, 'PENDING')
  const list = await vbase.call('ListBackups', JSON.parse(listBody), ctx())
  t.same(list.backups.map((b) => b.name), ['docs-backup-001'])
  const policy = await vbase.call('CreateBackupPolicy', JSON.parse(policyBody), ctx())
  t.equal(policy.schedule_cron, '0 0 * * *')
  t.equal(policy.retention_count, 7)
  t.equal(policy.is_active, true)
  // Restore needs a completed backup: the simulator's default job time is a few seconds.
  t.equal(await codeOf(vbase.call('RestoreBackup', JSON.parse(restoreBody), ctx())), status.FAILED_PRECONDITION)
})

t.test('restore example succeeds once the backup completes', async (t) => {
  const sim = await startSimulator({ port: 0, seed: false, jobMs: 0 })
  const client = createUpstreamClient({ address: sim.address, timeoutMs: 2000, readAttempts: 1 })
  t.teardown(async () => { client.close(); await sim.close() })
  const vbase = createVbase({ client })
  await vbase.call('CreateBackup', JSON.parse(createBody), ctx())
  const deadline = Date.now() + 5000
  let done = false
  while (!done && Date.now() < deadline) {
    const list = await vbase.call('ListBackups', JSON.parse(listBody), ctx())
    done = list.backups[0]?.status === 'COMPLETED'
    if (!done) await new Promise((resolve) => setImmediate(resolve))
  }
  t.ok(done, 'backup completed')
  const job = await vbase.call('RestoreBackup', JSON.parse(restoreBody), ctx())
  t.equal(job.backup_name, 'docs-backup-001')
  t.same(job.collection_names, ['docs'])
})

t.test('metadata: authorization verbatim, allowlist only', async (t) => {
  const { sim, client } = await setup(t)
  const headers = contextFromHeaders({
    authorization: AUTH,
    'x-request-id': 'req-123',
    traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    cookie: 'session=secret',
    'x-internal': 'nope'
  })
  await client.unary(contract.method('ListBackups'), { service_id: SERVICE }, headers)
  const md = sim.calls[0]?.metadata ?? {}
  t.equal(md.authorization, AUTH)
  t.equal(md['x-request-id'], 'req-123')
  t.equal(md.traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01')
  t.notOk('cookie' in md, 'cookie not forwarded')
  t.notOk('x-internal' in md, 'unlisted header not forwarded')
})

t.test('reads are retried on UNAVAILABLE, writes are not', async (t) => {
  const { sim, client } = await setup(t)
  sim.faults.failNext(1, status.UNAVAILABLE)
  const list = await client.unary(contract.method('ListBackups'), { service_id: SERVICE }, ctx())
  t.ok(list, 'read succeeded after a retry')
  t.equal(sim.callCount('ListBackups'), 2, 'two attempts reached the simulator')

  sim.resetCalls()
  sim.faults.failNext(1, status.UNAVAILABLE)
  t.equal(await codeOf(client.unary(contract.method('CreateBackup'), JSON.parse(createBody), ctx())), status.UNAVAILABLE)
  t.equal(sim.callCount('CreateBackup'), 1, 'the write ran once')

  sim.resetCalls()
  sim.faults.failNext(5, status.UNAVAILABLE)
  t.equal(await codeOf(client.unary(contract.method('ListBackups'), { service_id: SERVICE }, ctx())), status.UNAVAILABLE)
  t.equal(sim.callCount('ListBackups'), 3, 'attempts are bounded')

  sim.resetCalls()
  sim.clearFaults()
  sim.faults.failNext(1, status.INTERNAL)
  t.equal(await codeOf(client.unary(contract.method('ListBackups'), { service_id: SERVICE }, ctx())), status.INTERNAL)
  t.equal(sim.callCount('ListBackups'), 1, 'other codes are not retried')
})

t.test('the deadline fires', async (t) => {
  // Generous margins for a loaded CI machine: the point is "not a hang" (the
  // simulator would answer after 8 s), and a shortened deadline fails well
  // before the default one would. The three calls run side by side, each
  // timed from its own start: the test waits for one deadline, not three.
  const { sim, client } = await setup(t, { timeoutMs: 2500 })
  sim.faults.latencyMs = 8000
  const timed = async (extra: { timeoutMs?: number }): Promise<{ code: number | undefined, ms: number }> => {
    const started = Date.now()
    const code = await codeOf(client.unary(contract.method('ListBackups'), { service_id: SERVICE }, { ...ctx(), ...extra }))
    return { code, ms: Date.now() - started }
  }
  const [plain, shorter, longer] = await Promise.all([timed({}), timed({ timeoutMs: 100 }), timed({ timeoutMs: 60_000 })])
  t.equal(plain.code, status.DEADLINE_EXCEEDED)
  t.ok(plain.ms < 2500 + 1500, `failed within the deadline plus a margin (${plain.ms} ms)`)
  t.equal(shorter.code, status.DEADLINE_EXCEEDED)
  t.ok(shorter.ms < 100 + 1500, `a caller can shorten the deadline (${shorter.ms} ms)`)
  t.equal(longer.code, status.DEADLINE_EXCEEDED)
  t.ok(longer.ms < 2500 + 1500, `but not lengthen it (${longer.ms} ms)`)
})

t.test('a caller gone during the retry backoff ends the call: no further attempt', async (t) => {
  const sim = await startSimulator({ port: 0, seed: false })
  const client = createUpstreamClient({ address: sim.address, timeoutMs: 20_000, readAttempts: 3, retryBaseMs: 6000 })
  t.teardown(async () => { client.close(); await sim.close() })
  sim.faults.failNext(1, status.UNAVAILABLE)
  const controller = new AbortController()
  const started = Date.now()
  const call = codeOf(client.unary(contract.method('ListBackups'), { service_id: SERVICE }, { ...ctx(), signal: controller.signal }))
  await waitFor(() => sim.callCount('ListBackups') === 1) // the first attempt failed; the backoff (3 to 6 s) began
  controller.abort()
  t.equal(await call, status.CANCELLED)
  t.ok(Date.now() - started < 2500, `at once, not after the backoff (${Date.now() - started} ms)`)
  t.equal(sim.callCount('ListBackups'), 1, 'no attempt after the abort')
  // An already-aborted signal starts nothing.
  t.equal(await codeOf(client.unary(contract.method('ListBackups'), { service_id: SERVICE }, { ...ctx(), signal: AbortSignal.abort() })), status.CANCELLED)
  t.equal(sim.callCount('ListBackups'), 1)
})

t.test('the deadline counts from the call\'s arrival: a wait for a concurrency slot uses it up', async (t) => {
  const { sim, client } = await setup(t, { timeoutMs: 2000 })
  const limited = limitUpstreamConcurrency(client, createConcurrencyLimit({ max: 1, queueTimeoutMs: 10_000 }))
  sim.faults.latencyMs = 1400
  const first = codeOf(limited.unary(contract.method('ListBackups'), { service_id: SERVICE }, ctx()))
  const second = codeOf(limited.unary(contract.method('ListBackups'), { service_id: 'svc-other' }, ctx()))
  t.equal(await first, undefined, 'the first call had its slot at once')
  // ~1.4 s in the queue, then ~0.6 s left of its 2 s for a 1.4 s answer.
  t.equal(await second, status.DEADLINE_EXCEEDED, 'the second ran out of its own time, queue wait included')
})

t.test('upstream down: UNAVAILABLE quickly, safe message', async (t) => {
  const { sim, client } = await setup(t)
  await sim.stopListening()
  const started = Date.now()
  const err = await client.unary(contract.method('ListBackups'), { service_id: SERVICE }, ctx()).catch((e: unknown) => e)
  t.type(err, UpstreamError)
  t.equal((err as UpstreamError).grpcCode, status.UNAVAILABLE)
  t.notMatch((err as UpstreamError).message, /127\.0\.0\.1|ECONNREFUSED/, 'no internal address in the message')
  t.ok(Date.now() - started < 1500, `failed fast (${Date.now() - started} ms)`)
  t.equal(await client.healthy(), false)
  t.match(await client.health?.(), { ok: false, cause: { code: 'UNAVAILABLE', check: 'grpc.health.v1', details: /\S/ } }, 'health() says why')
  await sim.startListening()
  await waitFor(() => client.healthy(), 10_000, 50)
  t.equal(await client.healthy(), true, 'recovers without a restart')
})

t.test('a failed write says it may have been applied unless grpc-js says it never left', async (t) => {
  const failure = (code: status, details: string) => Object.assign(new Error(details), { code, details, metadata: new Metadata() })
  const cases: Array<[status, string, boolean, string | undefined]> = [
    [status.DEADLINE_EXCEEDED, 'Deadline exceeded after 0.501s,LB pick: 0.000s,remote_addr=10.0.0.1:443', true, WRITE_OUTCOME_UNKNOWN_MESSAGES[status.DEADLINE_EXCEEDED]],
    [status.DEADLINE_EXCEEDED, 'Deadline exceeded after 0.501s,Waiting for LB pick', true, SAFE_UPSTREAM_MESSAGES[status.DEADLINE_EXCEEDED]],
    [status.UNAVAILABLE, 'Connection dropped', true, WRITE_OUTCOME_UNKNOWN_MESSAGES[status.UNAVAILABLE]],
    [status.UNAVAILABLE, 'No connection established. Last error: connect ECONNREFUSED 10.0.0.1:443', true, SAFE_UPSTREAM_MESSAGES[status.UNAVAILABLE]],
    [status.INTERNAL, 'boom', true, WRITE_OUTCOME_UNKNOWN_MESSAGES[status.INTERNAL]],
    [status.DEADLINE_EXCEEDED, 'Deadline exceeded after 0.501s,LB pick: 0.000s,remote_addr=10.0.0.1:443', false, SAFE_UPSTREAM_MESSAGES[status.DEADLINE_EXCEEDED]],
    [status.ALREADY_EXISTS, 'backup exists', true, 'backup exists']
  ]
  for (const [code, details, write, message] of cases) {
    const err = toUpstreamError(failure(code, details), write)
    t.equal(err.grpcCode, code)
    t.equal(err.message, message, `${status[code]} ${write ? 'write' : 'read'}: ${details}`)
    t.equal(err.reason, message === WRITE_OUTCOME_UNKNOWN_MESSAGES[code] ? 'WRITE_OUTCOME_UNKNOWN' : undefined, 'its reason, for a program to read')
  }
})

t.test("a caller-side refusal keeps VBase's words, credentials scrubbed; RESOURCE_EXHAUSTED too (a quota says which); a fixed message only when it gave none", async (t) => {
  const failure = (code: status, details: string) => Object.assign(new Error(details), { code, details, metadata: new Metadata() })
  const quota = 'quota exceeded: organization may hold at most 100 backups; delete some first'
  t.equal(toUpstreamError(failure(status.RESOURCE_EXHAUSTED, quota), true).message, quota)
  t.equal(toUpstreamError(failure(status.RESOURCE_EXHAUSTED, ''), false).message, WORDLESS_UPSTREAM_MESSAGES[status.RESOURCE_EXHAUSTED])
  t.equal(toUpstreamError(failure(status.RESOURCE_EXHAUSTED, 'quota of token=abcdefgh12345 used up'), false).message, 'quota of token=[redacted] used up')
  t.equal(toUpstreamError(failure(status.INTERNAL, 'db at 10.0.0.7 down'), false).message, SAFE_UPSTREAM_MESSAGES[status.INTERNAL], 'a failure on its side: fixed words')
})

t.test('upstream errors carry code and message', async (t) => {
  const { client } = await setup(t)
  const err = await client.unary(contract.method('ListBackups'), { service_id: SERVICE }, contextFromHeaders({})).catch((e: unknown) => e)
  t.type(err, UpstreamError)
  t.equal((err as UpstreamError).grpcCode, status.UNAUTHENTICATED)
})

t.test('readiness without a health service: VBaseService itself must answer', async (t) => {
  const grpc = await import('@grpc/grpc-js')
  const { HealthImplementation } = await import('grpc-health-check')
  const list = contract.method('ListBackups').definition
  async function serve (opts: { health?: 'SERVING' | 'NOT_SERVING', vbase?: boolean }): Promise<string> {
    const server = new grpc.Server()
    if (opts.health !== undefined) new HealthImplementation({ '': opts.health }).addToServer(server)
    // A VBase that refuses a call without credentials, as the real one does.
    if (opts.vbase === true) {
      server.addService({ ListBackups: list } as unknown as import('@grpc/grpc-js').ServiceDefinition,
        { ListBackups: (_call: unknown, done: (err: object) => void) => { done({ code: status.UNAUTHENTICATED, details: 'no token' }) } })
    }
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => { if (err === null) resolve(p); else reject(err) }))
    t.teardown(() => { server.forceShutdown() })
    return `127.0.0.1:${port}`
  }
  const healthyAt = async (address: string): Promise<boolean> => {
    const client = createUpstreamClient({ address, timeoutMs: 2000, readAttempts: 1 })
    t.teardown(() => { client.close() })
    return await client.healthy()
  }
  t.equal(await healthyAt(await serve({ vbase: true })), true, 'no grpc.health.v1, but VBaseService answers (UNAUTHENTICATED)')
  t.equal(await healthyAt(await serve({})), false, 'neither answers: a proxy answering 404 for every path looks like this')
  t.equal(await healthyAt(await serve({ health: 'SERVING' })), true)
  t.equal(await healthyAt(await serve({ health: 'NOT_SERVING', vbase: true })), false, 'NOT_SERVING is not overridden')

  // health(): the same answers, with why a failed one failed (for the readiness log line).
  const healthAt = async (address: string): Promise<unknown> => {
    const client = createUpstreamClient({ address, timeoutMs: 2000, readAttempts: 1 })
    t.teardown(() => { client.close() })
    return await client.health?.()
  }
  t.same(await healthAt(await serve({ vbase: true })), { ok: true })
  t.match(await healthAt(await serve({})), { ok: false, cause: { code: 'UNIMPLEMENTED', check: 'VBaseService', details: String } }, 'nothing knows VBaseService')
  t.match(await healthAt(await serve({ health: 'NOT_SERVING', vbase: true })), { ok: false, cause: { code: 'NOT_SERVING', check: 'grpc.health.v1' } })
})

t.test('retry lines name their request; one per interval at warn, the rest at debug', async (t) => {
  const sim = await startSimulator({ port: 0, seed: false })
  const lines: Array<{ level: 'warn' | 'debug', obj: Record<string, unknown>, msg: string }> = []
  const logger = {
    warn: (obj: object, msg: string) => { lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }) },
    debug: (obj: object, msg: string) => { lines.push({ level: 'debug', obj: obj as Record<string, unknown>, msg }) }
  }
  const client = createUpstreamClient({ address: sim.address, timeoutMs: 2000, readAttempts: 3, retryBaseMs: 5, logger, retryLogIntervalMs: 60_000 })
  t.teardown(async () => { client.close(); await sim.close() })
  for (const id of ['req-a', 'req-b', 'req-c']) {
    sim.faults.failNext(1, status.UNAVAILABLE)
    await client.unary(contract.method('ListBackups'), { service_id: SERVICE }, ctx({ 'x-request-id': id }))
  }
  t.same(lines.map((l) => [l.level, l.obj.reqId, l.msg]), [
    ['warn', 'req-a', RETRY_MESSAGE],
    ['debug', 'req-b', RETRY_MESSAGE],
    ['debug', 'req-c', RETRY_MESSAGE]
  ])
  t.equal(lines[0]?.obj.suppressed, 0)
})
