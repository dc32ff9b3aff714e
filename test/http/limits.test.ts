/**
 * Input hygiene: oversized bodies and heads, malformed JSON, odd content
 * types, bad UTF-8, undecodable URLs, repeated headers and garbage on the
 * wire all get a 4xx with a google.rpc.Status body, never a 500, before any
 * upstream call, and the process keeps serving. What `inject` cannot send
 * (duplicate headers, oversized heads, broken framing) goes over a real
 * socket to `app.listen()`.
 */
import t from 'tap'
import { MAX_PARAM_LENGTH } from '../../src/app.js'
import { repeatedHeaders, repeatedKey } from '../../src/http/limits.js'
import { DEMO_ORG_ID, DEMO_SERVICE_IDS, DEV_TOKEN } from '../../src/simulator/index.js'
import { buildTestApp, listenOnLoopback } from '../helpers/app.js'
import { raw } from '../helpers/raw-http.js'

const [CATALOG] = DEMO_SERVICE_IDS
const BEARER = `Bearer ${DEV_TOKEN}`
const WRITE = `/v1/vbase/${CATALOG}/backup`
const createBackup = JSON.stringify({ organization_id: DEMO_ORG_ID, db_name: 'catalog', collection_names: ['docs'], backup_name: 'hygiene' })

/** A raw HTTP exchange's answer. */
/** A request head with `Connection: close`, so the server ends the exchange. */
function head (lines: string[]): string {
  return [...lines, 'Host: 127.0.0.1', 'Connection: close', '', ''].join('\r\n')
}

t.test('over a real socket', async (t) => {
  const { app, sim, logs } = await buildTestApp(t, { env: { MAX_HEADER_BYTES: '4096' } })
  const port = await listenOnLoopback(app)
  t.beforeEach(() => { sim.resetCalls() })

  t.test('a head over MAX_HEADER_BYTES: 431', async (t) => {
    const res = await raw(port, head(['GET /healthz HTTP/1.1', `X-Big: ${'a'.repeat(8192)}`]))
    t.equal(res.status, 431)
    t.same(JSON.parse(res.body), { code: 3, message: 'the request headers are too large', details: [] })
    // Like every other answer: the security headers, and a request id (also on the log line).
    t.match(res.headers, /\r\ncontent-security-policy: default-src 'none';frame-ancestors 'none'\r\n/i)
    t.match(res.headers, /\r\nx-content-type-options: nosniff/i)
    const id = /\r\nx-request-id: ([0-9a-f-]{36})/i.exec(res.headers)?.[1]
    t.ok(id, 'a request id')
    t.ok(logs.some((l) => l.includes('malformed request refused') && l.includes(`"reqId":"${id ?? 'none'}"`)), 'the log line has the same id')
  })

  t.test('two Authorization headers: 400', async (t) => {
    const res = await raw(port, head([`GET /v1/vbase/${CATALOG}/backup HTTP/1.1`, `Authorization: ${BEARER}`, 'Authorization: Bearer someone-else']))
    t.equal(res.status, 400)
    t.same(JSON.parse(res.body), { code: 3, message: 'the authorization header must not appear more than once', details: [] })
    t.equal(sim.callCount(), 0)
  })

  t.test('two Content-Type headers: 400', async (t) => {
    const body = createBackup
    const res = await raw(port, head([`POST ${WRITE} HTTP/1.1`, `Authorization: ${BEARER}`, 'Content-Type: application/json', 'Content-Type: text/plain', `Content-Length: ${Buffer.byteLength(body)}`]) + body)
    t.equal(res.status, 400)
    t.match(JSON.parse(res.body), { code: 3, message: /content-type header must not appear more than once/ })
    t.equal(sim.callCount(), 0)
  })

  t.test('two Authorization headers on /graphql: 400 in GraphQL\'s shape', async (t) => {
    const body = JSON.stringify({ query: `{ service(id: "${CATALOG}") { backups { totalCount } } }` })
    const res = await raw(port, head(['POST /graphql HTTP/1.1', `Authorization: ${BEARER}`, `authorization: ${BEARER}`, 'Content-Type: application/json', `Content-Length: ${body.length}`]) + body)
    t.equal(res.status, 400)
    t.match(JSON.parse(res.body), { errors: [{ message: /authorization header must not appear more than once/, extensions: { code: 'BAD_USER_INPUT' } }] })
    t.equal(sim.callCount(), 0)
  })

  t.test('a garbage request line: 400', async (t) => {
    const res = await raw(port, 'HELLO THERE\r\n\r\n')
    t.equal(res.status, 400)
    t.same(JSON.parse(res.body), { code: 3, message: 'malformed HTTP request', details: [] })
  })

  t.test('conflicting Content-Length and Transfer-Encoding: 400', async (t) => {
    const res = await raw(port, head([`POST ${WRITE} HTTP/1.1`, `Authorization: ${BEARER}`, 'Content-Type: application/json', 'Content-Length: 5', 'Transfer-Encoding: chunked']) + '0\r\n\r\n')
    t.equal(res.status, 400)
    t.equal(sim.callCount(), 0)
  })

  t.test('a body that is not UTF-8: 400', async (t) => {
    const body = Buffer.concat([Buffer.from('{"organization_id":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}')])
    const res = await raw(port, Buffer.concat([Buffer.from(head([`POST ${WRITE} HTTP/1.1`, `Authorization: ${BEARER}`, 'Content-Type: application/json', `Content-Length: ${body.length}`])), body]))
    t.equal(res.status, 400)
    t.same(JSON.parse(res.body), { code: 3, message: 'the request body is not valid UTF-8', details: [] })
    t.equal(sim.callCount(), 0)
  })

  t.test('the process is still up and serving', async (t) => {
    const res = await raw(port, head(['GET /healthz HTTP/1.1']))
    t.equal(res.status, 200)
    t.same(JSON.parse(res.body), { status: 'ok' })
    const ok = await raw(port, head([`GET /v1/vbase/${CATALOG}/backup HTTP/1.1`, `Authorization: ${BEARER}`]))
    t.equal(ok.status, 200)
  })
})

t.test('bodies, content types and URLs', async (t) => {
  const { app, sim } = await buildTestApp(t, { env: { BODY_LIMIT_BYTES: '1024' } })
  t.beforeEach(() => { sim.resetCalls() })
  const json = { authorization: BEARER, 'content-type': 'application/json' }

  t.test('a body over BODY_LIMIT_BYTES: 413, on both surfaces', async (t) => {
    const big = JSON.stringify({ organization_id: DEMO_ORG_ID, db_name: 'x'.repeat(2000), collection_names: ['docs'] })
    const rest = await app.inject({ method: 'POST', url: WRITE, headers: json, payload: big })
    t.equal(rest.statusCode, 413)
    t.same(rest.json(), { code: 3, message: 'Request body is too large', details: [] })
    const graphql = await app.inject({ method: 'POST', url: '/graphql', headers: json, payload: JSON.stringify({ query: `{ __typename ${' '.repeat(2000)}}` }) })
    t.equal(graphql.statusCode, 413)
    t.match(graphql.json(), { errors: [{ message: 'Request body is too large' }] })
    t.equal(sim.callCount(), 0)
    const small = await app.inject({ method: 'POST', url: WRITE, headers: json, payload: createBackup })
    t.equal(small.statusCode, 200, 'a body under the limit goes through')
  })

  t.test('malformed JSON: 400, saying where; a prototype key: 400, saying which', async (t) => {
    for (const [payload, message] of [
      ['{"organization_id":', 'the body is not valid JSON: Unexpected end of JSON input'],
      ['{"a":1}}', 'the body is not valid JSON: Unexpected non-whitespace character after JSON at position 7'],
      ['nope', `the body is not valid JSON: Unexpected token 'o', "nope" is not valid JSON`],
      ['{"__proto__":{"x":1}}', 'the body holds a "__proto__" or "constructor.prototype" key, which no field has: it is refused'],
      ['{"constructor":{"prototype":{"x":1}}}', 'the body holds a "__proto__" or "constructor.prototype" key, which no field has: it is refused']
    ] as const) {
      const res = await app.inject({ method: 'POST', url: WRITE, headers: json, payload })
      t.equal(res.statusCode, 400, payload)
      t.same(res.json(), { code: 3, message, details: [] }, payload)
    }
    const empty = await app.inject({ method: 'POST', url: WRITE, headers: json, payload: '' })
    t.equal(empty.statusCode, 400, 'an empty JSON body')
    t.equal(sim.callCount(), 0)
  })

  t.test('a key given twice in a JSON body: 400 naming it, on REST and GraphQL, before any upstream call', async (t) => {
    const policy = `/v1/vbase/${CATALOG}/backup/policy`
    for (const [payload, key] of [
      [`{"organization_id":"${DEMO_ORG_ID}","schedule_cron":"0 2 * * *","retention_count":1,"retention_count":30}`, 'retention_count'],
      [`{"organization_id":"${DEMO_ORG_ID}","schedule_cron":"0 2 * * *","retention_count":1,"is_active":false,"\\u0069s_active":true}`, 'is_active']
    ] as const) {
      const res = await app.inject({ method: 'POST', url: policy, headers: json, payload })
      t.equal(res.statusCode, 400, payload)
      t.same(res.json(), { code: 3, message: `the body gives "${key}" twice: give each field once`, details: [] }, payload)
    }
    const gql = await app.inject({ method: 'POST', url: '/graphql', headers: json, payload: '{"query":"{ __typename }","variables":{"a":1,"a":2}}' })
    t.equal(gql.statusCode, 400)
    t.match(gql.json(), { errors: [{ message: 'the body gives "variables.a" twice: give each field once' }] })
    t.equal(sim.callCount(), 0)
    const once = await app.inject({ method: 'POST', url: policy, headers: json, payload: `{"organization_id":"${DEMO_ORG_ID}","schedule_cron":"0 2 * * *","retention_count":30}` })
    t.equal(once.statusCode, 200, 'each field once goes through')
  })

  t.test('a content type other than JSON: 415', async (t) => {
    for (const type of ['application/xml', 'text/plain', 'application/octet-stream', 'image/png']) {
      const res = await app.inject({ method: 'POST', url: WRITE, headers: { authorization: BEARER, 'content-type': type }, payload: createBackup })
      t.equal(res.statusCode, 415, type)
      t.same(res.json(), { code: 3, message: 'Unsupported Media Type: send the body as JSON, with Content-Type: application/json', details: [] }, type)
      const graphql = await app.inject({ method: 'POST', url: '/graphql', headers: { authorization: BEARER, 'content-type': type }, payload: '{"query":"{ __typename }"}' })
      t.equal(graphql.statusCode, 415, `/graphql ${type}`)
    }
    t.equal(sim.callCount(), 0)
  })

  t.test('a URL that does not decode: 400; one with a path value too long: 414; neither quotes the URL', async (t) => {
    const res = await app.inject({ method: 'GET', url: '/v1/vbase/%C3%28/backup?token=sekrit-2f9c', headers: { authorization: BEARER, 'x-request-id': 'bad-url-1' } })
    t.equal(res.statusCode, 400)
    t.same(res.json(), { code: 3, message: 'the URL is not valid: it holds a malformed percent-encoding', details: [] })
    t.match(res.headers, { 'x-request-id': 'bad-url-1', 'x-content-type-options': 'nosniff' }, 'the headers every other answer has')
    const long = await app.inject({ method: 'GET', url: `/v1/vbase/${'x'.repeat(MAX_PARAM_LENGTH + 1)}/backup?token=sekrit-2f9c`, headers: { authorization: BEARER } })
    t.equal(long.statusCode, 414)
    t.same(long.json(), { code: 3, message: 'the URL is too long: a path value holds more characters than any id or name', details: [] })
    t.match(long.headers, { 'x-request-id': /.+/, 'x-content-type-options': 'nosniff' })
    t.equal(sim.callCount(), 0)
  })
})

t.test('repeatedHeaders', async (t) => {
  t.same(repeatedHeaders(['Authorization', 'a', 'authorization', 'b']), ['authorization'])
  t.same(repeatedHeaders(['Accept', 'a', 'accept', 'b', 'Cache-Control', 'x', 'Cache-Control', 'y']), [], 'list-valued headers may repeat')
  t.same(repeatedHeaders(['Host', 'a', 'Content-Type', 'x', 'content-type', 'y', 'HOST', 'b']).sort(), ['content-type', 'host'])
})

t.test('repeatedKey: the path of the first key an object gives twice, at any depth; the same key in different objects is fine', async (t) => {
  const cases: Array<[string, string | undefined]> = [
    ['{"a":1,"b":2}', undefined],
    ['{"a":1,"a":2}', 'a'],
    ['{"a":{"x":1},"b":{"x":1}}', undefined],
    ['{"a":{"x":1,"y":{"z":[1,{"k":1,"k":2}]}}}', 'a.y.z[1].k'],
    ['[{"x":1},{"x":1,"x":2}]', '[1].x'],
    ['{"a":1,"\\u0061":2}', 'a'],
    ['{"q":"{\\"a\\":1,\\"a\\":2}","s":"a,b:c]"}', undefined],
    ['{"v":["a","a"],"w":{"a":"a"}}', undefined],
    ['{"":1,"":2}', ''],
    ['"plain"', undefined],
    ['{"a\\\\":1,"a\\\\":2}', 'a\\']
  ]
  for (const [text, path] of cases) {
    JSON.parse(text)
    t.equal(repeatedKey(text), path, text)
  }
})
