/**
 * GraphQL requests of the wrong shape are the caller's errors, answered in
 * GraphQL's shape with a 4xx and a clear code, never a 500, a server-fault
 * log line or a bare error object: a query that is not a string or not
 * GraphQL text, a GET naming no operation of its document, a batch entry
 * without a query, a subscription, an application/graphql body that is not
 * UTF-8. And no method but POST runs a mutation: not HEAD, and not a GET
 * naming the query of a document whose mutation the JIT compiled.
 */
import { Readable } from 'node:stream'
import t from 'tap'
import { DEMO_POLICY_ID, DEMO_SERVICE_IDS } from '../../src/simulator/index.js'
import { buildTestApp, listenOnLoopback } from '../helpers/app.js'
import { FakeClock } from '../helpers/clock.js'
import { raw } from '../helpers/raw-http.js'
import { BEARER, codes, headersOf, type GqlBody } from './helpers.js'

const [CATALOG] = DEMO_SERVICE_IDS

/** The lines logged at error level (pino's 50): a client's mistake must log none. */
function serverFaults (logs: string[]): string[] {
  return logs.filter((line) => /"level":50/.test(line))
}

t.test('request shapes', async (t) => {
  const { app, sim, logs } = await buildTestApp(t, { simulator: { clock: new FakeClock() } })
  t.beforeEach(() => { sim.resetCalls() })

  /** POST a raw JSON body. */
  const post = (payload: string) => app.inject({ method: 'POST', url: '/graphql', headers: headersOf(), payload })
  /** GET with a query string built from `params`. */
  const get = (params: Record<string, string>) => app.inject({ method: 'GET', url: `/graphql?${new URLSearchParams(params).toString()}`, headers: { authorization: BEARER } })

  t.test('only POST runs a mutation: HEAD is not served, GET is 405', async (t) => {
    const mutation = `mutation { deleteBackupPolicy(input: { serviceId: "${CATALOG}", policyId: "${DEMO_POLICY_ID}" }) { policy { id } } }`
    const url = `/graphql?query=${encodeURIComponent(mutation)}`
    const head = await app.inject({ method: 'HEAD', url, headers: { authorization: BEARER } })
    t.equal(head.statusCode, 404, 'no HEAD route on /graphql')
    const getMutation = await app.inject({ method: 'GET', url, headers: { authorization: BEARER } })
    t.equal(getMutation.statusCode, 405)
    t.equal(getMutation.headers.allow, 'POST', 'the method that would take it')
    for (const method of ['PUT', 'PATCH', 'DELETE'] as const) {
      const other = await app.inject({ method, url: '/graphql', headers: { authorization: BEARER } })
      t.equal(other.statusCode, 405, `${method}: 405, not the app's 404`)
      t.equal(other.headers.allow, 'GET, POST')
      t.same(other.json(), { errors: [{ message: `method ${method} is not allowed for /graphql; allowed: GET, POST`, extensions: { code: 'BAD_USER_INPUT', grpcStatus: 'INVALID_ARGUMENT' } }] }, 'the GraphQL shape, as the other refusals of the endpoint')
      t.match(other.headers['content-type'], /^application\/json/)
    }
    const query = await app.inject({ method: 'HEAD', url: `/graphql?query=${encodeURIComponent(`{ service(id: "${CATALOG}") { backups { totalCount } } }`)}`, headers: { authorization: BEARER } })
    t.equal(query.statusCode, 404, 'a HEAD query is not run either')
    t.equal(sim.callCount(), 0, 'the upstream saw no call, the delete least of all')
  })

  t.test('the operation named is the one run, after the JIT compiled another of the document', async (t) => {
    // A bad policy id fails in the resolver, before the upstream: M is harmless, yet visible when it runs.
    const doc = `query Q { __typename } mutation M { deleteBackupPolicy(input: { serviceId: "${CATALOG}", policyId: "not-a-uuid" }) { policy { id } } }`
    // The second run of a document is compiled.
    for (let run = 0; run < 3; run++) {
      const res = await post(JSON.stringify({ query: doc, operationName: 'M' }))
      t.same(res.json().data, { deleteBackupPolicy: null }, `POST M, run ${run + 1}`)
    }
    const viaGet = await get({ query: doc, operationName: 'Q' })
    t.equal(viaGet.statusCode, 200)
    t.same(viaGet.json(), { data: { __typename: 'Query' } }, 'GET naming Q runs Q, not the compiled mutation')
    const viaPost = await post(JSON.stringify({ query: doc, operationName: 'Q' }))
    t.same(viaPost.json(), { data: { __typename: 'Query' } }, 'POST naming Q runs Q')
    t.equal((await get({ query: doc, operationName: 'M' })).statusCode, 405)
    const other = await post(JSON.stringify({ query: doc, operationName: 'X' }))
    t.equal(other.statusCode, 400, 'an unknown name is still refused')
  })

  t.test('a query that is not a string: 400 BAD_USER_INPUT for the whole request, before any coercion', async (t) => {
    const cases: Array<[string, string]> = [
      ['{"query":1}', 'a number'],
      ['{"query":true}', 'a boolean'],
      ['{"query":{}}', 'an object'],
      ['{"query":["{ __typename }"]}', 'an array'],
      ['[{"query":"{ __typename }"},{"query":1}]', 'a number']
    ]
    for (const [payload, kind] of cases) {
      const res = await post(payload)
      t.equal(res.statusCode, 400, payload)
      t.same(res.json(), {
        errors: [{ message: `query must be a string holding a GraphQL document, not ${kind}`, extensions: { code: 'BAD_USER_INPUT', grpcStatus: 'INVALID_ARGUMENT', field: 'query' } }]
      }, payload)
    }
  })

  t.test('a query string that is not GraphQL text is its syntax error, not a JSON AST', async (t) => {
    const ast = JSON.stringify({ kind: 'Document', definitions: [{ kind: 'OperationDefinition', operation: 'query', selectionSet: { kind: 'SelectionSet', selections: [{ kind: 'Field', name: { kind: 'Name', value: '__typename' } }] } }] })
    for (const query of ['1', 'null', '{}', '[]', '{"kind":"Document"}', ast]) {
      const res = await post(JSON.stringify({ query }))
      t.equal(res.statusCode, 400, query)
      const body = res.json() as GqlBody
      t.same(codes(body), ['GRAPHQL_PARSE_FAILED'], query)
      t.match(body.errors?.[0]?.message, /^Syntax Error: /, query)
    }
    const viaGet = await get({ query: 'true' })
    t.equal(viaGet.statusCode, 400)
    t.same(viaGet.json(), { errors: [{ message: 'Syntax Error: Unexpected Name "true".', locations: [{ line: 1, column: 1 }], extensions: { code: 'GRAPHQL_PARSE_FAILED', grpcStatus: 'INVALID_ARGUMENT' } }] })
    const batch = await post(JSON.stringify([{ query: '{ __typename }' }, { query: '1' }]))
    t.equal(batch.statusCode, 200)
    const [first, second] = batch.json() as GqlBody[]
    t.same(first, { data: { __typename: 'Query' } })
    t.same(codes(second as GqlBody), ['GRAPHQL_PARSE_FAILED'])
  })

  t.test('GET naming no operation of its document: 400, as on POST', async (t) => {
    const doc = 'query A { __typename } query B { __typename }'
    // The first GET caches the document: the others take mercurius' cached path.
    const picked = await get({ query: doc, operationName: 'B' })
    t.same(picked.json(), { data: { __typename: 'Query' } })
    const cases: Array<[Record<string, string>, string]> = [
      [{ query: doc, operationName: 'C' }, 'Unknown operation named "C".'],
      [{ query: doc, operationName: 'a' }, 'Unknown operation named "a".'],
      [{ query: doc }, 'Must provide operation name if query contains multiple operations.'],
      [{ query: '{ one: __typename }', operationName: 'A' }, 'Unknown operation named "A".']
    ]
    for (const [params, message] of cases) {
      const res = await get(params)
      t.equal(res.statusCode, 400, message)
      t.same(res.json(), { errors: [{ message, extensions: { code: 'GRAPHQL_VALIDATION_FAILED', grpcStatus: 'INVALID_ARGUMENT' } }] }, message)
      const viaPost = await post(JSON.stringify(params))
      t.same(viaPost.json(), res.json(), `POST answers the same: ${message}`)
    }
    t.equal((await get({ query: 'mutation M { __typename }', operationName: 'M' })).statusCode, 405, 'a named mutation is still 405 on GET')
  })

  t.test('an operationName naming no operation of a one-operation document: 400 on every run, compiled or not', async (t) => {
    const refused = (name: string) => ({ errors: [{ message: `Unknown operation named "${name}".`, extensions: { code: 'GRAPHQL_VALIDATION_FAILED', grpcStatus: 'INVALID_ARGUMENT' } }] })
    const wrong = [['GetBackups', undefined], ['GetBackups', {}], ['', undefined]] as const
    // A fresh document for each case and each point: before it is cached, once cached, and once
    // mercurius has compiled it (on its second run) for the name its first runs gave.
    let n = 0
    for (const [name, variables] of wrong) {
      for (const runsBefore of [0, 1, 2, 3]) {
        const query = `query Backups { v${n++}: __typename }`
        for (let i = 0; i < runsBefore; i++) t.equal((await post(JSON.stringify({ query, operationName: 'Backups' }))).statusCode, 200)
        const res = await post(JSON.stringify({ query, operationName: name, variables }))
        t.equal(res.statusCode, 400, `${JSON.stringify(name)} after ${runsBefore} runs${variables === undefined ? '' : ', with variables'}`)
        t.same(res.json(), refused(name))
      }
    }
    const anonymous = '{ anonymous: __typename }'
    for (let i = 0; i < 3; i++) t.same((await post(JSON.stringify({ query: anonymous, operationName: 'Anonymous' }))).json(), refused('Anonymous'), 'an anonymous operation has no name')
    const query = 'query Backups { batched: __typename }'
    for (let i = 0; i < 3; i++) {
      const batch = await post(JSON.stringify([{ query, operationName: 'Backups' }, { query, operationName: 'GetBackups' }]))
      t.same(batch.json(), [{ data: { batched: 'Query' } }, refused('GetBackups')], `run ${i + 1}: in a batch, that entry only`)
      t.same((await get({ query, operationName: 'GetBackups' })).json(), refused('GetBackups'), `run ${i + 1}: GET answers the same`)
    }
    t.same((await post(JSON.stringify({ query, operationName: null }))).json(), { data: { batched: 'Query' } }, 'a null name picks the only operation')
    t.same(serverFaults(logs), [])
  })

  t.test('a batch entry without a query is a GraphQL error, like a single request without one', async (t) => {
    // Not mercurius' "Unknown query", which speaks of persisted queries: the gateway has none.
    const unknown = { errors: [{ message: 'Must provide query string.', extensions: { code: 'BAD_USER_INPUT', grpcStatus: 'INVALID_ARGUMENT', field: 'query' } }] }
    const res = await post('[{"query":"{ __typename }"},{},{"query":null},{"query":""}]')
    t.equal(res.statusCode, 200)
    t.same(res.json(), [{ data: { __typename: 'Query' } }, unknown, unknown, unknown])
    const single = await post('{}')
    t.equal(single.statusCode, 400)
    t.same(single.json(), unknown)
    const viaGet = await get({})
    t.equal(viaGet.statusCode, 400)
    t.same(viaGet.json(), unknown)
  })

  t.test('an operation sent as a persisted query hash only: PersistedQueryNotSupported, so APQ clients send the query instead', async (t) => {
    const notSupported = { errors: [{ message: 'PersistedQueryNotSupported', extensions: { code: 'PERSISTED_QUERY_NOT_SUPPORTED', grpcStatus: 'INVALID_ARGUMENT' } }] }
    // As Apollo's createPersistedQueryLink sends it (POST) and urql's persistedExchange (GET).
    const persisted = { persistedQuery: { version: 1, sha256Hash: 'ecf4edb46db40b5132295c0291d62fb65d6759a9eedfa4d5d612dd5ec54a6b38' } }
    const viaPost = await post(JSON.stringify({ operationName: 'Q', variables: {}, extensions: persisted }))
    t.equal(viaPost.statusCode, 400)
    t.same(viaPost.json(), notSupported)
    const viaGet = await get({ operationName: 'Q', extensions: JSON.stringify(persisted) })
    t.equal(viaGet.statusCode, 400)
    t.same(viaGet.json(), notSupported)
    const batch = await post(JSON.stringify([{ query: '{ __typename }' }, { extensions: persisted }, {}]))
    t.same(batch.json(), [{ data: { __typename: 'Query' } }, notSupported,
      { errors: [{ message: 'Must provide query string.', extensions: { code: 'BAD_USER_INPUT', grpcStatus: 'INVALID_ARGUMENT', field: 'query' } }] }])
    // The retry with the text, the hash still attached, runs.
    t.same((await post(JSON.stringify({ query: '{ __typename }', extensions: persisted }))).json(), { data: { __typename: 'Query' } })
  })

  t.test('parameters of the wrong type are named, on POST and on GET, in a batch too', async (t) => {
    const refused = (message: string, field: string) => ({ errors: [{ message, extensions: { code: 'BAD_USER_INPUT', grpcStatus: 'INVALID_ARGUMENT', field } }] })
    const query = 'query Q($id: ID!) { service(id: $id) { id } }'
    const posts: Array<[unknown, string, string]> = [
      [{ query, variables: JSON.stringify({ id: CATALOG }) }, 'variables must be a JSON object or null, not a string', 'variables'],
      [{ query, variables: [{ id: CATALOG }] }, 'variables must be a JSON object or null, not an array', 'variables'],
      [{ query, variables: { id: CATALOG }, operationName: 7 }, 'operationName must be a string or null, not a number', 'operationName'],
      [{ query, variables: { id: CATALOG }, extensions: 'x' }, 'extensions must be a JSON object or null, not a string', 'extensions'],
      [[{ query, variables: { id: CATALOG } }, { query, variables: 'x' }], 'variables must be a JSON object or null, not a string', 'variables']
    ]
    for (const [payload, message, field] of posts) {
      const res = await post(JSON.stringify(payload))
      t.equal(res.statusCode, 400, message)
      t.same(res.json(), refused(message, field))
    }
    const gets: Array<[Record<string, string> | string, string, string]> = [
      [{ query, variables: '{id:"x"}' }, "variables must be JSON text of an object: Expected property name or '}' in JSON at position 1", 'variables'],
      [{ query, variables: '["x"]' }, 'variables must be a JSON object or null, not an array', 'variables'],
      [{ query, variables: '{}', extensions: 'nope' }, 'extensions must be JSON text of an object: Unexpected token \'o\', "nope" is not valid JSON', 'extensions'],
      [`query=${encodeURIComponent(query)}&variables=%7B%7D&variables=%7B%7D`, 'variables must be given once, as JSON text', 'variables'],
      [`query=${encodeURIComponent(query)}&query=x`, 'query must be a string holding a GraphQL document, not an array', 'query']
    ]
    for (const [params, message, field] of gets) {
      const url = `/graphql?${typeof params === 'string' ? params : new URLSearchParams(params).toString()}`
      const res = await app.inject({ method: 'GET', url, headers: { authorization: BEARER } })
      t.equal(res.statusCode, 400, message)
      t.same(res.json(), refused(message, field))
    }
    // What is well typed still runs: null for each, and GET's JSON text.
    t.same((await post(JSON.stringify({ query: '{ __typename }', variables: null, operationName: null, extensions: null }))).json(), { data: { __typename: 'Query' } })
    t.same((await get({ query, variables: JSON.stringify({ id: CATALOG }), extensions: '{}' })).json(), { data: { service: { id: CATALOG } } })
    t.same((await get({ query: '{ __typename }', variables: 'null' })).json(), { data: { __typename: 'Query' } })
    t.same(serverFaults(logs), [])
  })

  t.test('a subscription: 400 GRAPHQL_VALIDATION_FAILED, the schema has none', async (t) => {
    const message = 'The subscription operation is not supported by the schema.'
    const res = await post(JSON.stringify({ query: 'subscription { __typename }' }))
    t.equal(res.statusCode, 400)
    t.same(res.json(), { errors: [{ message, locations: [{ line: 1, column: 1 }], extensions: { code: 'GRAPHQL_VALIDATION_FAILED', grpcStatus: 'INVALID_ARGUMENT' } }] })
    const batch = await post(JSON.stringify([{ query: 'subscription S { __typename }' }, { query: '{ __typename }' }]))
    t.same((batch.json() as GqlBody[]).map((b) => b.errors?.[0]?.message ?? b.data.__typename), [message, 'Query'])
  })

  t.test('an application/graphql body', async (t) => {
    const send = (payload: Buffer | Readable) => app.inject({ method: 'POST', url: '/graphql', headers: { authorization: BEARER, 'content-type': 'application/graphql' }, payload })
    const notUtf8 = {
      errors: [{ message: 'the request body is not valid UTF-8', extensions: { code: 'BAD_USER_INPUT', grpcStatus: 'INVALID_ARGUMENT' } }]
    }
    const [before, after] = ['{ service(id: "svc-', '") { id backups { totalCount } } }'].map((s) => Buffer.from(s)) as [Buffer, Buffer]

    t.test('valid UTF-8, a character split across chunks: read as sent', async (t) => {
      const e = Buffer.from('é')
      const res = await send(Readable.from([Buffer.concat([before, e.subarray(0, 1)]), Buffer.concat([e.subarray(1), after])]))
      t.equal(res.statusCode, 200)
      t.equal(res.json().data.service.id, 'svc-é')
    })

    t.test('bytes that are not UTF-8: 400 before any upstream call', async (t) => {
      for (const bad of [Buffer.from([0xff, 0xfe]), Buffer.from([0xc3, 0x28]), Buffer.from([0xed, 0xa0, 0x80])]) {
        const res = await send(Buffer.concat([before, bad, after]))
        t.equal(res.statusCode, 400, bad.toString('hex'))
        t.same(res.json(), notUtf8, bad.toString('hex'))
      }
      const truncated = await send(Buffer.concat([before, after, Buffer.from([0xc3])]))
      t.equal(truncated.statusCode, 400, 'a body ending inside a character')
      t.equal(sim.callCount(), 0)
    })

    t.test('over a real socket, the connection answers before it closes', async (t) => {
      const port = await listenOnLoopback(app)
      const body = Buffer.concat([before, Buffer.from([0xff, 0xfe]), after])
      const head = `POST /graphql HTTP/1.1\r\nHost: x\r\nAuthorization: ${BEARER}\r\nContent-Type: application/graphql; charset=utf-8\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`
      const res = await raw(port, Buffer.concat([Buffer.from(head), body]))
      t.equal(res.status, 400)
      t.same(JSON.parse(res.body), notUtf8)
      t.equal(sim.callCount(), 0)
    })
  })

  t.test('none of these logged a server fault', async (t) => {
    t.same(serverFaults(logs), [])
  })
})
