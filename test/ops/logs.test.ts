/**
 * Logs: JSON lines carrying the request id the caller sent (or got), the
 * same id forwarded upstream; credentials never in any captured line at
 * trace and debug level, through REST and GraphQL, in success, upstream
 * failure, UNAUTHENTICATED, validation errors and retries, the embedded
 * simulator's lines included; pretty output only on a TTY.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process'
import { EventEmitter, once } from 'node:events'
import { type Readable, Writable } from 'node:stream'
import t, { type Test } from 'tap'
import { status } from '@grpc/grpc-js'
import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import { loadConfig } from '../../src/config.js'
import { createLogger, LOG_EXIT_FLUSH_MS, redactQuery, reportDrops, scrubCredentials } from '../../src/logger.js'
import { startSimulator } from '../../src/simulator/index.js'
import { buildTestApp, listenOnLoopback, waitFor } from '../helpers/app.js'
import { nodeCommand, repoModuleUrl, TS_LOADER } from '../helpers/node-child.js'
import { FakeClock } from '../helpers/clock.js'

const ORG_A = '11111111-1111-4111-8111-111111111111'
const ORG_B = '22222222-2222-4222-8222-222222222222'
// Distinct, searchable secrets: two valid tokens, one the upstream rejects, a cookie, a Basic credential.
const TOKEN_A = 'tok-alpha-5c1e6f0b9a7d4e21'
const TOKEN_B = 'tok-bravo-8e2d4c6a1f3b5d70'
const TOKEN_BAD = 'tok-charlie-0b9a7d4e215c1e6f'
const COOKIE = 'sid-delta-3f5d7e9a1c2b4d6f'
const BASIC = 'ZWNobzpmb3h0cm90LTk5ODg3NzY2'
const SECRETS = [TOKEN_A, TOKEN_B, TOKEN_BAD, COOKIE, BASIC]

type Line = Record<string, unknown> & { msg?: string, reqId?: string, level: number }

function sink (lines: string[]): Writable {
  return new Writable({ write (chunk, _enc, cb) { lines.push(String(chunk)); cb() } })
}

/**
 * A child process logging through the real stdout logger (`log`), running `body` after it is
 * made. `await go` in `body` waits until the test calls `go()`: one child (some 1 s of CPU each)
 * can be looked at while it runs, then made to end.
 */
function loggingProcess (body: string[], stderr: 'ignore' | 'pipe' = 'ignore'): ChildProcessByStdio<Writable, Readable, Readable | null> & { go: () => void } {
  const script = [
    `import { createLogger } from ${JSON.stringify(repoModuleUrl('src/logger.ts'))}`,
    "const log = createLogger({ LOG_LEVEL: 'info' }, undefined, false)",
    "const go = new Promise((resolve) => { process.stdin.once('data', () => { process.stdin.destroy(); resolve() }) })",
    ...body
  ].join('\n')
  const child = spawn(...nodeCommand([...TS_LOADER, '--input-type=module', '-e', script]), { stdio: ['pipe', 'pipe', stderr] }) as ChildProcessByStdio<Writable, Readable, Readable | null>
  child.stdin.on('error', () => {}) // the child may be gone already
  return Object.assign(child, { go: () => { child.stdin.end('go\n') } })
}

t.test('request ids: honored, returned, logged and forwarded upstream; bad ones replaced everywhere', async (t) => {
  const { app, sim, logs } = await buildTestApp(t)
  const parsed = (): Line[] => logs.map((l) => JSON.parse(l) as Line)
  const headers = { authorization: 'Bearer vbase-dev-token', 'cache-control': 'no-cache' }

  const sent = await app.inject({ url: '/v1/vbase/svc-demo-catalog/backup', headers: { ...headers, 'x-request-id': 'req-abc.123' } })
  t.equal(sent.headers['x-request-id'], 'req-abc.123')
  t.ok(parsed().filter((l) => l.msg === 'incoming request' || l.msg === 'request completed').every((l) => l.reqId === 'req-abc.123'), 'the log lines carry it')
  t.equal(sim.calls.at(-1)?.metadata['x-request-id'], 'req-abc.123', 'the upstream gets it')

  for (const bad of ['x'.repeat(200), 'has spaces', 'quote"brace{']) {
    logs.length = 0
    const res = await app.inject({ url: '/v1/vbase/svc-demo-catalog/backup', headers: { ...headers, 'x-request-id': bad } })
    const id = res.headers['x-request-id']
    t.match(id, /^[0-9a-f-]{36}$/, `replaced: ${bad.slice(0, 12)}`)
    const lines = parsed().filter((l) => l.reqId !== undefined)
    t.ok(lines.length >= 1 && lines.every((l) => l.reqId === id), 'the logs carry the replacement, not the bad id')
    t.notOk(logs.join('').includes(bad), 'the bad id is not logged')
    t.equal(sim.calls.at(-1)?.metadata['x-request-id'], id, 'nor forwarded')
  }

  const none = await app.inject({ url: '/v1/vbase/svc-demo-catalog/backup', headers })
  t.match(none.headers['x-request-id'], /^[0-9a-f-]{36}$/, 'generated when absent')
  t.equal(sim.calls.at(-1)?.metadata['x-request-id'], none.headers['x-request-id'], 'and forwarded')
})

/** Every kind of request the tests know, each with credentials in the headers. */
async function scenario (t: Test, app: FastifyInstance, sim: Awaited<ReturnType<typeof startSimulator>>): Promise<void> {
  const h = (token: string, extra: Record<string, string> = {}) => ({
    authorization: `Bearer ${token}`,
    cookie: `session=${COOKIE}`,
    'proxy-authorization': `Basic ${BASIC}`,
    'content-type': 'application/json',
    'cache-control': 'no-cache',
    ...extra
  })
  // Each principal reads its own service: a service belongs to the organization that backed it up first.
  const svc = (token: string) => token === TOKEN_B ? 'svc-b' : 'svc-a'
  const rest = (token: string, url = `/v1/vbase/${svc(token)}/backup`, method: 'GET' | 'DELETE' = 'GET') => app.inject({ method, url, headers: h(token) })
  const gql = (token: string, query: string) => app.inject({ method: 'POST', url: '/graphql', headers: h(token), payload: { query } })
  const create = (token: string, org: string, name: string) => app.inject({
    method: 'POST',
    url: `/v1/vbase/${svc(token)}/backup`,
    headers: h(token),
    payload: { service_id: svc(token), organization_id: org, db_name: 'db', collection_names: ['c'], backup_name: name }
  })
  const LIST = '{ service(id: "svc-a") { backups { totalCount } } }'

  // success, both surfaces, two principals
  for (const token of [TOKEN_A, TOKEN_B]) {
    t.equal((await rest(token)).statusCode, 200)
    t.equal((await gql(token, LIST.replace('svc-a', svc(token)))).statusCode, 200)
  }
  t.equal((await create(TOKEN_A, ORG_A, 'b-1')).statusCode, 200, 'a write')
  // the upstream rejects the token
  t.equal((await rest(TOKEN_BAD)).statusCode, 401)
  t.match((await gql(TOKEN_BAD, LIST)).json(), { errors: [{ extensions: { code: 'UNAUTHENTICATED' } }] })
  // the gateway rejects the input
  t.equal((await rest(TOKEN_A, '/v1/vbase/svc-a/backup/policy/not-a-uuid', 'DELETE')).statusCode, 400)
  t.equal((await create(TOKEN_B, 'not-a-uuid', 'b-2')).statusCode, 400)
  t.match((await gql(TOKEN_A, '{ service(id: "svc-a") { policy(id: "nope") { id } } }')).json(), { errors: [{ extensions: { code: 'BAD_USER_INPUT' } }] })
  t.equal((await gql(TOKEN_B, '{ service(id: ) }')).statusCode, 400, 'a syntax error')
  // upstream failures whose details quote the credential, on reads and writes
  for (const token of [TOKEN_A, TOKEN_B]) {
    sim.faults.failNext(1, status.INTERNAL, `backend rejected authorization Bearer ${token}`)
    t.equal((await rest(token)).statusCode, 500)
    sim.faults.failNext(1, status.DATA_LOSS, `token=${token} lost`)
    t.match((await gql(token, LIST.replace('svc-a', svc(token)))).json(), { errors: [{ extensions: { code: 'INTERNAL_SERVER_ERROR' } }] })
  }
  // upstream rejections (4xx) whose message quotes the credential: logged on the info line, not through the err serializer
  for (const [code, message] of [
    [status.UNAUTHENTICATED, `token expired: Bearer ${TOKEN_A}`],
    [status.PERMISSION_DENIED, `token=${TOKEN_A} lacks scope`],
    [status.INVALID_ARGUMENT, `bad authorization header "Bearer ${TOKEN_A}"`]
  ] as const) {
    sim.faults.failNext(1, code, message)
    t.equal((await rest(TOKEN_A)).statusCode, code === status.UNAUTHENTICATED ? 401 : code === status.PERMISSION_DENIED ? 403 : 400, status[code])
    sim.faults.failNext(1, code, message)
    t.match((await gql(TOKEN_A, LIST)).json(), { errors: [{ extensions: { grpcStatus: status[code] } }] }, `${status[code]} over GraphQL`)
  }
  // a client that also puts a credential in the query string (the gateway reads none): the URL is on every request line
  t.equal((await rest(TOKEN_A, `/v1/vbase/svc-a/backup?access_token=${TOKEN_A}`)).statusCode, 200, 'an unknown query parameter is ignored')
  t.equal((await rest(TOKEN_A, `/v1/vbase/svc-a/backup?api_key=${COOKIE}&probe=1`)).statusCode, 200)
  t.equal((await rest(TOKEN_B, `/nowhere?Password=${TOKEN_B}`)).statusCode, 404)
  t.equal((await app.inject({ url: `/graphql?query=${encodeURIComponent('{ __typename }')}&sig=${BASIC}`, headers: { ...h(TOKEN_A), 'apollo-require-preflight': '1' } })).statusCode, 200, 'a GraphQL GET')
  sim.faults.failNext(1, status.UNKNOWN, `write by Bearer ${TOKEN_A} failed`)
  t.equal((await create(TOKEN_A, ORG_A, 'b-3')).statusCode, 500)
  // retries, then success; retries exhausted
  sim.faults.failNext(2, status.UNAVAILABLE, `unavailable for Bearer ${TOKEN_B}`)
  t.equal((await rest(TOKEN_B)).statusCode, 200)
  sim.faults.failNext(3, status.UNAVAILABLE)
  t.equal((await gql(TOKEN_A, LIST)).statusCode, 200)
  t.equal((await rest(TOKEN_A, '/nowhere')).statusCode, 404)
}

for (const level of ['trace', 'debug'] as const) {
  t.test(`no credential in any log line at LOG_LEVEL=${level}`, async (t) => {
    const simLogs: string[] = []
    const sim = await startSimulator({
      port: 0,
      seed: false,
      tokens: `${TOKEN_A}=${ORG_A},${TOKEN_B}=${ORG_B}`,
      logger: createLogger(loadConfig({ LOG_LEVEL: level }), sink(simLogs)).child({ component: 'simulator' })
    })
    t.teardown(() => sim.close())
    const { app, logs } = await buildTestApp(t, { sim, env: { LOG_LEVEL: level, UPSTREAM_READ_ATTEMPTS: '3' } })
    await scenario(t, app, sim)

    const all = [...logs, ...simLogs]
    const lines = all.map((l) => JSON.parse(l) as Line)
    // The upstream's faults after the first of each code go out at debug, which this level writes.
    t.ok(lines.filter((l) => l.err !== undefined && (l.msg === 'request failed' || l.msg === 'graphql field failed')).length >= 5, 'fault lines were written')
    t.ok(lines.some((l) => l.level >= 50), 'error lines among them')
    t.ok(lines.some((l) => l.msg === 'upstream unavailable, retrying read'), 'retries were logged')
    t.ok(all.some((l) => l.includes('Bearer [redacted]')), "an upstream's details quoting a token were scrubbed, not dropped")
    for (const msg of ['request rejected', 'graphql error']) {
      const scrubbed = lines.filter((l) => l.msg === msg && String(l.message).includes('[redacted]'))
      t.equal(scrubbed.length, 3, `"${msg}": the three upstream rejections quoting a token, scrubbed`)
    }
    t.ok(lines.filter((l) => l.msg === 'incoming request').every((l) => (l.req as { headers?: unknown }).headers === undefined), 'request lines hold no headers')
    const urls = lines.filter((l) => l.msg === 'request completed').map((l) => (l.req as { url: string }).url)
    t.ok(urls.includes('/v1/vbase/svc-a/backup?api_key=[redacted]&probe=1'), 'a query credential is redacted on the access line, the rest of the URL kept')
    t.ok(urls.includes('/nowhere?Password=[redacted]'), 'on a 404 too')
    t.match(lines.find((l) => l.msg === 'incoming request'), { req: { method: 'GET', url: String, host: String, remoteAddress: '127.0.0.1' } }, "the incoming line keeps Fastify's fields")
    for (const secret of SECRETS) {
      const leaks = all.filter((l) => l.includes(secret))
      t.same(leaks, [], `${secret.slice(0, 9)}... appears in no line`)
    }
  })
}

t.test('redaction paths cover header bags and metadata wherever the code may log them', async (t) => {
  const lines: string[] = []
  const logger = createLogger(loadConfig({ LOG_LEVEL: 'info' }), sink(lines))
  const bag = { authorization: `Bearer ${TOKEN_A}`, cookie: COOKIE, 'set-cookie': [COOKIE], 'proxy-authorization': `Basic ${BASIC}` }
  logger.info({ req: { headers: bag }, res: { headers: bag } }, 'request shapes')
  logger.info({ headers: bag, metadata: bag, ctx: { headers: bag, call: { headers: bag } }, call: { headers: bag } }, 'context shapes')
  logger.info({ authorization: bag.authorization, cookie: COOKIE, token: TOKEN_B }, 'top level')
  const err = Object.assign(new Error(`refused Bearer ${TOKEN_A}`), { details: `token: ${TOKEN_B}`, headers: bag, metadata: bag })
  logger.error({ err }, 'an error carrying everything')
  logger.child({ reqId: 'r1' }).warn({ err: new Error('outer', { cause: new Error(`inner Basic ${BASIC}`) }) }, 'a cause')
  t.equal(lines.length, 5)
  for (const secret of SECRETS) t.notOk(lines.join('').includes(secret), `${secret.slice(0, 9)}... redacted`)
  t.match(lines[0], /"authorization":"\[redacted\]"/)
  t.equal(scrubCredentials('invalid bearer token'), 'invalid bearer token', 'prose stays readable')
  t.equal(scrubCredentials('missing bearer token: send "Authorization: Bearer <token>"'), 'missing bearer token: send "Authorization: Bearer <token>"')
})

t.test('scrubCredentials: the value of any credential-named field in free text, and JSON Web Tokens', async (t) => {
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJlLWJ5dGVz'
  const cases: Array<[string, string]> = [
    ['rejected authorization=tokAsecretValue1 for org', 'rejected authorization=[redacted] for org'],
    ['Authorization: tokAsecretValue1', 'Authorization: [redacted]'],
    ['authorization=Bearer tokAsecretValue1', 'authorization=Bearer [redacted]'],
    ['{"api_key": "k3y-abcdefgh"}', '{"api_key": "[redacted]"}'],
    ['apikey=abcdefgh1234 API-KEY: abcdefgh1234', 'apikey=[redacted] API-KEY: [redacted]'],
    ["password='hunter2hunter2' passwd=hunter2hunter2", "password='[redacted]' passwd=[redacted]"],
    ['client_secret=s3cr3tvalue secret: s3cr3tvalue', 'client_secret=[redacted] secret: [redacted]'],
    [`token ${jwt} expired`, 'token [redacted] expired'],
    [`Bearer ${jwt}`, 'Bearer [redacted]']
  ]
  for (const [text, scrubbed] of cases) t.equal(scrubCredentials(text), scrubbed, text)
  for (const prose of ['secret: must be set', 'authorization: none given', 'password required', 'the api key is missing', 'eyJ is how a JWT starts']) {
    t.equal(scrubCredentials(prose), prose, `prose stays: ${prose}`)
  }
})

t.test('redactQuery: values of credential-named query parameters, nothing else', async (t) => {
  t.equal(redactQuery('/v1/vbase/svc/backup'), '/v1/vbase/svc/backup', 'no query: the same string')
  t.equal(redactQuery('/x?access_token=abc&page=2'), '/x?access_token=[redacted]&page=2')
  t.equal(redactQuery('/x?a=1&API_KEY=k&client_secret=s&X-Amz-Signature=z&sessionid=q&pwd=p&jwt=j'), '/x?a=1&API_KEY=[redacted]&client_secret=[redacted]&X-Amz-Signature=[redacted]&sessionid=[redacted]&pwd=[redacted]&jwt=[redacted]')
  t.equal(redactQuery('/x?access%5Ftoken=abc'), '/x?access%5Ftoken=[redacted]', 'an encoded name is judged decoded')
  t.equal(redactQuery('/x?%E0%A4%A=1&token=t'), '/x?%E0%A4%A=1&token=[redacted]', 'a malformed escape does not throw')
  t.equal(redactQuery('/graphql?query=%7B__typename%7D&operationName=Q&flag'), '/graphql?query=%7B__typename%7D&operationName=Q&flag', 'other parameters kept')
  t.equal(redactQuery('/graphql?query=Q&variables=%7B%22password%22%3A%22hunter22%22%7D&extensions=%7B%7D'), '/graphql?query=Q&variables=[redacted]&extensions=[redacted]',
    "a GraphQL GET's variables and extensions: JSON whose keys are the client's, any may hold a secret")
  t.equal(redactQuery('/x?myvariables=1'), '/x?myvariables=1', 'only those names')
  t.equal(redactQuery('/x?bearer=tokenAAAAsecret1&q=Bearer%20tokenAAAAsecret1&p=2'), '/x?bearer=[redacted]&q=Bearer%20%5Bredacted%5D&p=2', 'a bearer parameter, and a Bearer credential quoted in any value')
})

t.test('pretty output only on a TTY', async (t) => {
  const config = loadConfig({ LOG_LEVEL: 'info' })
  const json = createLogger(config, undefined, false)
  t.notOk(String((json as unknown as Record<symbol, unknown>)[pino.symbols.streamSym]?.constructor.name).includes('ThreadStream'), 'no transport: JSON to stdout')
  const pretty = createLogger(config, undefined, true)
  const stream = (pretty as unknown as Record<symbol, EventEmitter & { end (): void }>)[pino.symbols.streamSym]
  t.equal(stream?.constructor.name, 'ThreadStream', 'the pino-pretty transport')
  if (stream !== undefined) {
    await once(stream, 'ready')
    stream.end()
    await once(stream, 'finish')
  }
})

t.test('one access line per request at info; the incoming line only at debug', async (t) => {
  for (const [level, incoming] of [['info', 0], ['debug', 1]] as const) {
    const { app, logs } = await buildTestApp(t, { env: { LOG_LEVEL: level } })
    await app.inject({ url: '/v1/vbase/svc-demo-catalog/backup', headers: { authorization: 'Bearer vbase-dev-token', 'x-request-id': `acc-${level}` } })
    const lines = logs.map((l) => JSON.parse(l) as Line).filter((l) => l.reqId === `acc-${level}`)
    const done = lines.filter((l) => l.msg === 'request completed')
    t.equal(done.length, 1, `${level}: one completed line`)
    t.match(done[0], { req: { method: 'GET', url: '/v1/vbase/svc-demo-catalog/backup' }, res: { statusCode: 200 } }, `${level}: it names the request and status`)
    t.equal(typeof done[0]?.responseTime, 'number')
    t.equal(lines.filter((l) => l.msg === 'incoming request').length, incoming, `${level}: incoming lines`)
  }
})

t.test('a request whose client goes away before its answer still has its access line: "request aborted", status 499', async (t) => {
  const { app, sim, logs } = await buildTestApp(t)
  const port = await listenOnLoopback(app)
  sim.faults.latencyMs = 30_000
  const controller = new AbortController()
  const answered = fetch(`http://127.0.0.1:${port}/v1/vbase/svc-demo-catalog/backup`, {
    headers: { authorization: 'Bearer vbase-dev-token', 'cache-control': 'no-cache', 'x-request-id': 'gone-early' },
    signal: controller.signal
  }).then(() => 'answered', (err: Error) => err.name)
  await waitFor(() => sim.callCount('ListBackups') === 1)
  controller.abort()
  t.equal(await answered, 'AbortError')
  const access = (): Line[] => logs.map((l) => JSON.parse(l) as Line).filter((l) => l.reqId === 'gone-early' && typeof l.msg === 'string' && /^request (completed|aborted)$/.test(l.msg))
  await waitFor(() => access().length > 0)
  t.match(access(), [{ msg: 'request aborted', level: 30, req: { method: 'GET', url: '/v1/vbase/svc-demo-catalog/backup' }, res: { statusCode: 499 } }])
  t.equal(typeof access()[0]?.responseTime, 'number')
  // The gateway's answer, once the upstream call is cancelled, writes no second line.
  await waitFor(() => logs.some((l) => l.includes('"reqId":"gone-early"') && l.includes('CANCELLED')))
  t.equal(access().length, 1, 'one access line')

  // A request answered in full has its one "request completed" line and no other.
  await app.inject({ url: '/healthz' })
  sim.faults.latencyMs = 0
  await fetch(`http://127.0.0.1:${port}/v1/vbase/svc-demo-catalog/backup`, { headers: { authorization: 'Bearer vbase-dev-token', 'x-request-id': 'stayed' } }).then(async (r) => await r.text())
  await waitFor(() => logs.some((l) => l.includes('"reqId":"stayed"') && l.includes('"msg":"request completed"')))
  t.equal(logs.filter((l) => l.includes('"reqId":"stayed"') && l.includes('"msg":"request aborted"')).length, 0)
})

/** A child's exit code, if it exits within the exit's bounded write and slack for a loaded machine; undefined (a failed assertion) if not. */
async function exitInTime (t: Test, exit: Promise<[number | null]>): Promise<number | null | undefined> {
  const deadlineMs = LOG_EXIT_FLUSH_MS + 8000
  const exited = await Promise.race([
    exit,
    new Promise<undefined>((resolve) => { setTimeout(() => { resolve(undefined) }, deadlineMs).unref() })
  ])
  t.ok(exited !== undefined, `exited within ${deadlineMs} ms`)
  return exited?.[0]
}

/** The JSON lines a child wrote on `stream` (its text so far is `text()`), once the stream has ended. */
async function jsonLines (stream: Readable, text: () => string): Promise<Array<Record<string, unknown>>> {
  if (!stream.readableEnded) await once(stream, 'end')
  return text().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>)
}

t.test('stdout is written asynchronously; a lone line within the flush interval; every line is out when the process exits', async (t) => {
  const config = loadConfig({ LOG_LEVEL: 'info' })
  const stream = (createLogger(config, undefined, false) as unknown as Record<symbol, { sync?: boolean, maxLength?: number }>)[pino.symbols.streamSym]
  t.equal(stream?.sync, false, 'no blocking write per line')
  t.ok((stream?.maxLength ?? 0) > 0, 'a bounded buffer')

  // A lone line, not held for a full batch (in the first child, which waits after it); then a
  // burst and an exit, normal and by an uncaught error: what is still buffered is flushed.
  const LINES = 5000
  for (const ending of ['process.exit(0)', 'throw new Error("boom")']) {
    const lone = ending.startsWith('process.exit')
    const child = loggingProcess([
      ...(lone ? ["log.info('lone line')", 'await go'] : []),
      `for (let i = 0; i < ${LINES}; i++) log.info({ i }, 'line')`,
      ending
    ])
    t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
    let out = ''
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => { out += chunk })
    const closed = once(child, 'close') as Promise<[number]>
    if (lone) {
      // LOG_FLUSH_MS is 100 ms; the deadline only bounds the wait when the line never comes.
      const first = await Promise.race([
        once(child.stdout, 'data'),
        new Promise<undefined>((resolve) => { setTimeout(() => { resolve(undefined) }, 10_000).unref() })
      ])
      t.ok(first !== undefined, 'the lone line came while the process waits')
      t.match(JSON.parse(out === '' ? '{}' : out), { msg: 'lone line' }, 'a lone line is out while the process is still running')
      t.equal(child.exitCode, null)
      child.go()
    }
    const [code] = await closed
    const numbers = out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as { i?: number }).flatMap((l) => l.i === undefined ? [] : [l.i])
    t.equal(numbers.length, LINES, `${ending}: all ${LINES} lines written`)
    t.equal(numbers[LINES - 1], LINES - 1, `${ending}: the last one included`)
    t.equal(code, ending.startsWith('throw') ? 1 : 0)
  }
})

t.test('dropped lines: each burst is reported in full, at the end of the interval without a new drop, and at exit', async (t) => {
  const clock = new FakeClock(0)
  const said: Array<{ dropped: number, droppedTotal: number, unwrittenBytes?: number, msg: string }> = []
  const stream = new EventEmitter()
  const report = reportDrops(stream, {
    intervalMs: 10_000,
    now: () => clock.now(),
    schedule: (fn, ms) => { clock.setTimeout(fn, ms) },
    write: (line) => { said.push(JSON.parse(line) as typeof said[number]) }
  })
  const sum = (): number => said.reduce((n, l) => n + (l.dropped ?? 0), 0)

  for (let i = 0; i < 3901; i++) stream.emit('drop')
  t.same(said.map((l) => l.dropped), [1], 'the first drop is said at once')
  t.equal(clock.pending, 1, 'a timer waits for the end of the interval')
  clock.advance(9_999)
  t.equal(said.length, 1, 'not before it')
  clock.advance(1)
  t.same(said.map((l) => l.dropped), [1, 3900], 'then those held back, with no new drop')
  t.equal(sum(), 3901, 'the reports add up to the lines dropped')
  t.equal(said.at(-1)?.droppedTotal, 3901)
  t.equal(clock.pending, 0, 'nothing unsaid: no timer')

  clock.advance(60_000)
  stream.emit('drop')
  t.equal(said.at(-1)?.dropped, 1, 'after a quiet period the next drop is said at once')
  for (let i = 0; i < 5; i++) stream.emit('drop')
  clock.advance(2_000)
  report.exit(0)
  t.equal(said.at(-1)?.dropped, 5, 'at exit, those not said yet')
  t.equal(sum(), 3907)
  report.exit(1234)
  t.match(said.at(-1), { dropped: 0, unwrittenBytes: 1234, msg: /lost at exit/ }, 'and what the exit had to give up')
  clock.advance(10_000)
  t.equal(said.length, 5, 'the timer armed before the exit found nothing left to say')
})

// One child for both (some 1 s of CPU each): the report while it runs, then the exit.
t.test('when stdout stops draining, lines are dropped (the buffer stays bounded) and stderr says so; an uncaught error then still exits 1, and stderr counts every line dropped', async (t) => {
  const child = loggingProcess([
    "const { default: pino } = await import('pino')",
    'let dropped = 0',
    "log[pino.symbols.streamSym].on('drop', () => { dropped++ })",
    "process.on('exit', () => { process.stderr.write(JSON.stringify({ actuallyDropped: dropped }) + '\\n') })",
    "const pad = 'x'.repeat(4000)",
    // About 24 MiB: more than the 16 MiB buffer plus the pipe.
    "for (let i = 0; i < 6000; i++) log.info({ i, pad }, 'line')",
    'await go',
    "throw new Error('boom')"
  ], 'pipe')
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  child.stdout.pause() // nobody reads stdout
  const stderr = child.stderr
  if (stderr === null) throw new Error('stderr is piped')
  let err = ''
  stderr.setEncoding('utf8')
  const exit = once(child, 'exit') as Promise<[number | null]>
  const report = await new Promise<Record<string, unknown>>((resolve, reject) => {
    stderr.on('data', (chunk: string) => {
      err += chunk
      const line = err.split('\n').find((l) => l.includes('log lines dropped'))
      if (line !== undefined) resolve(JSON.parse(line) as Record<string, unknown>)
    })
    void exit.then(() => { reject(new Error(`exited without a report; stderr: ${err}`)) })
  })
  t.match(report, { level: 40, msg: 'stdout is not draining: log lines dropped' })
  t.ok((report.dropped as number) >= 1, 'with a count')
  t.equal(child.exitCode, null, 'and the process is still up')

  child.go() // now the uncaught error, stdout still unread
  const code = await exitInTime(t, exit)
  if (code === undefined) return
  t.equal(code, 1)
  const lines = await jsonLines(stderr, () => err) as Array<Record<string, number>>
  const actual = lines.find((l) => l.actuallyDropped !== undefined)?.actuallyDropped ?? 0
  const reported = lines.filter((l) => String(l.msg).includes('log lines dropped')).reduce((n, l) => n + (l.dropped ?? 0), 0)
  t.ok(actual > 0, `${actual} lines dropped`)
  t.equal(reported, actual, 'stderr reports every one of them')
  t.ok(lines.some((l) => (l.unwrittenBytes ?? 0) > 0), 'and the buffered bytes lost at exit')
})

t.test('a stdout whose reader is gone (EPIPE) does not hold the exit, even when the exit makes the first write to it; stderr says what was lost', async (t) => {
  // The line is buffered (below a batch) and the exit comes before the flush interval: the
  // exit's synchronous write is the first to meet the closed pipe. sonic-boom retried it
  // every 100 ms, forever, and SIGTERM could not end it.
  const child = loggingProcess(['await go', "log.info('a line')", 'process.exit(3)'], 'pipe')
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  const stderr = child.stderr
  if (stderr === null) throw new Error('stderr is piped')
  let err = ''
  stderr.setEncoding('utf8').on('data', (chunk: string) => { err += chunk })
  const exit = once(child, 'exit') as Promise<[number | null]>
  child.stdout.destroy() // the reader goes away before the child writes anything
  child.go()
  const code = await exitInTime(t, exit)
  if (code === undefined) return
  t.equal(code, 3, 'with the code it asked for')
  const lines = await jsonLines(stderr, () => err)
  t.match(lines.at(-1), { level: 40, unwrittenBytes: Number, msg: /lost at exit/ }, `stderr says the line was lost: ${err.slice(0, 300)}`)
})

t.test("a request's own lines carry its id: a route's line, an errored request's line", async (t) => {
  const { app, sim, logs } = await buildTestApp(t, { env: { LOG_LEVEL: 'debug' } })
  await app.inject({ url: '/v1/vbase/svc-demo-catalog/backup?unknown=1', headers: { authorization: 'Bearer vbase-dev-token', 'x-request-id': 'own-1' } })
  sim.faults.failNext(1, status.INTERNAL)
  await app.inject({ url: '/v1/vbase/svc-demo-catalog/backup', headers: { authorization: 'Bearer vbase-dev-token', 'cache-control': 'no-cache', 'x-request-id': 'own-2' } })
  const lines = logs.map((l) => JSON.parse(l) as Line)
  t.ok(lines.some((l) => l.msg === 'unknown query parameter ignored' && l.reqId === 'own-1'), 'the route logged through request.log')
  const errored = lines.filter((l) => l.reqId === 'own-2')
  t.ok(errored.length >= 2, `${errored.length} lines for the failed request`)
  t.ok(errored.some((l) => l.level >= 40), 'its warning or error line among them')
  t.equal(lines.filter((l) => l.reqId === 'own-1' || l.reqId === 'own-2').filter((l) => l.msg === 'request completed' || l.msg === 'request errored').length, 2, 'one access line each')
})
