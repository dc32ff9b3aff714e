/**
 * What mercurius keeps of the documents it parses is bounded. It caches
 * each document by its whole text, valid or not (one cache each), and
 * graphql-js keeps a token object per comment, though comments are no tokens
 * for GRAPHQL_MAX_TOKENS. A query text over GRAPHQL_MAX_QUERY_BYTES is
 * refused before it is parsed (POST, batch, application/graphql, GET); the
 * caches hold GRAPHQL_DOCUMENT_CACHE documents each (twice that at most); a
 * cached document keeps no comment. Before, 150 distinct 1 MB
 * `{ __typename } #xxx` queries, which need no token, kept 155 MB.
 */
import type { FastifyInstance } from 'fastify'
import { getIntrospectionQuery, parse, type Token } from 'graphql'
import t, { type Test } from 'tap'
import { loadConfig } from '../../src/config.js'
import { unlinkTokens } from '../../src/graphql/limits.js'
import { buildTestApp } from '../helpers/app.js'
import { gcFunction } from '../helpers/gc.js'
import { headersOf } from './helpers.js'

const MAX = loadConfig({}).GRAPHQL_MAX_QUERY_BYTES
const TOO_BIG = (bytes: number): string => `a query may hold at most ${MAX} bytes; this one holds ${bytes}`

/** ASCII `query` followed by `#` comment lines, `bytes` in all. */
function padded (query: string, bytes = MAX): string {
  const fill = bytes - query.length - 1
  return `${query}\n${'#\n'.repeat(Math.floor(fill / 2))}${'#'.repeat(fill % 2)}`
}

const post = (app: FastifyInstance, payload: unknown, headers: Record<string, string | null> = {}) =>
  app.inject({ method: 'POST', url: '/graphql', headers: headersOf(headers), payload: JSON.stringify(payload) })

t.test('the default admits GraphiQL\'s schema query and long documents at the token limit', async (t) => {
  t.equal(MAX, 32768)
  const introspection = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true })
  t.ok(Buffer.byteLength(introspection) * 8 < MAX, `GraphiQL's schema query is ${Buffer.byteLength(introspection)} bytes`)
  // test/graphql/limits.test.ts runs this 2000-token document: the token limit is reached first.
  const atTokenLimit = `{ service(id: "svc-demo-catalog") { backups(status: [${'COMPLETED '.repeat(1980)}]) { totalCount } } }`
  t.ok(Buffer.byteLength(atTokenLimit) < MAX, `a document of 2000 long tokens is ${Buffer.byteLength(atTokenLimit)} bytes`)
  t.equal(loadConfig({}).GRAPHQL_DOCUMENT_CACHE, 32, 'room for a frontend\'s hot operations, each JIT-compiled from its second run')
})

t.test('a query text over GRAPHQL_MAX_QUERY_BYTES is refused before it is parsed, however it is sent', async (t) => {
  const { app, sim } = await buildTestApp(t)
  const atLimit = padded('{ __typename }')
  t.equal(Buffer.byteLength(atLimit), MAX)
  const ok = await post(app, { query: atLimit })
  t.same([ok.statusCode, ok.json()], [200, { data: { __typename: 'Query' } }], 'at the limit')

  // Not even GraphQL: the size is judged first.
  const over = `${atLimit} {`
  const refused = await post(app, { query: over })
  t.equal(refused.statusCode, 400)
  t.same(refused.json(), { errors: [{ message: TOO_BIG(MAX + 2), extensions: { code: 'BAD_USER_INPUT', grpcStatus: 'INVALID_ARGUMENT', field: 'query' } }] })

  const multibyte = `{ __typename } #${'€'.repeat(Math.ceil(MAX / 3))}`
  t.ok(multibyte.length < MAX)
  t.equal((await post(app, { query: multibyte })).statusCode, 400, 'counted in UTF-8 bytes, not characters')

  const batch = await post(app, [{ query: '{ __typename }' }, { query: over }])
  t.same([batch.statusCode, batch.json().errors?.[0]?.message], [400, TOO_BIG(MAX + 2)], 'one operation of a batch over it: the whole request')

  const graphqlBody = await app.inject({ method: 'POST', url: '/graphql', headers: headersOf({ 'content-type': 'application/graphql' }), payload: over })
  t.same([graphqlBody.statusCode, graphqlBody.json().errors?.[0]?.message], [400, TOO_BIG(MAX + 2)], 'an application/graphql body')
  t.equal(sim.callCount(), 0)
})

t.test('a GET\'s query is held to the same limit', async (t) => {
  // The default request head (MAX_HEADER_BYTES) is smaller than the default limit: a smaller limit here.
  const { app } = await buildTestApp(t, { env: { GRAPHQL_MAX_QUERY_BYTES: '1024' } })
  const get = (query: string) => app.inject({ method: 'GET', url: `/graphql?query=${encodeURIComponent(query)}`, headers: headersOf() })
  t.equal((await get(padded('{ __typename }', 1024))).statusCode, 200)
  const refused = await get(padded('{ __typename }', 1025))
  t.same([refused.statusCode, refused.json().errors?.[0]?.message], [400, 'a query may hold at most 1024 bytes; this one holds 1025'])
})

t.test('a cached document keeps no comment: the token chain is unlinked, the locations stay', async (t) => {
  const document = parse(padded('{ __typename }', 1000))
  unlinkTokens(undefined, document)
  const start = document.loc?.startToken as Token
  t.equal(start.next, null, 'the chain from the document\'s first token is cut')
  const field = document.definitions[0]?.kind === 'OperationDefinition' ? document.definitions[0].selectionSet.selections[0] : undefined
  t.match(field?.loc?.startToken, { line: 1, column: 3, value: '__typename', prev: null, next: null }, 'a node keeps its own token, line and column')
})

/** The heap the app keeps after `send` sent `n` distinct documents, in MB. */
async function retained (t: Test, gc: () => void, n: number, send: (app: FastifyInstance, i: number) => Promise<unknown>): Promise<number> {
  // At 16 (the default is 32): the bounds below are for that size.
  const { app } = await buildTestApp(t, { env: { RATE_LIMIT_MAX: '0', RATE_LIMIT_IP_MAX: '0', PRESSURE_MAX_HEAP_RATIO: '0', GRAPHQL_DOCUMENT_CACHE: '16' } })
  await send(app, -1)
  const heap = (): number => { gc(); gc(); return process.memoryUsage().heapUsed }
  const before = heap()
  for (let i = 0; i < n; i++) await send(app, i)
  return (heap() - before) / 1e6
}

const gc = gcFunction()

t.test('memory kept for distinct documents is bounded', { skip: gc === undefined ? 'no way to force a GC here' : false }, async (t) => {
  if (gc === undefined) return
  const N = 150

  t.test('documents failing validation at the token limit (each near 1 MB parsed): the error cache holds a few', async (t) => {
    const mb = await retained(t, gc, N, (app, i) => post(app, { query: `{ ${'a '.repeat(1990)} } #${i}` }))
    t.ok(mb < 64, `${N} distinct documents: ${mb.toFixed(1)} MB kept (${(N * 0.9).toFixed(0)} MB if all were)`)
  })

  t.test('valid documents padded with comments to the limit, each run twice (JIT): no comment is kept', async (t) => {
    let answered = 0
    const mb = await retained(t, gc, N, async (app, i) => {
      const query = padded(`{ __typename } #${i}`)
      for (let run = 0; run < 2; run++) if ((await post(app, { query })).statusCode === 200) answered++
    })
    t.equal(answered, 2 * (N + 1), 'every one answered')
    t.ok(mb < 12, `${N} distinct documents: ${mb.toFixed(1)} MB kept`)
  })
})
