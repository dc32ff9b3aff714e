/**
 * GraphQL over HTTP: the graphql-response+json media type, `null` for
 * extensions, variables and operationName, GET for queries, GraphiQL, JIT
 * giving the same answers (errors included) as the first, interpreted run,
 * and answers no shared cache may keep.
 */
import t from 'tap'
import { DEMO_BACKUPS, DEMO_ORG_ID, DEMO_SERVICE_IDS } from '../../src/simulator/index.js'
import { GRAPHQL_RESPONSE_TYPE } from '../../src/graphql/http.js'
import { buildTestApp } from '../helpers/app.js'
import { FakeClock, FAKE_EPOCH } from '../helpers/clock.js'
import { BEARER, buildClockedGraphqlApp, gql, headersOf } from './helpers.js'

const [CATALOG] = DEMO_SERVICE_IDS
const QUERY = `query Org($id: ID!) { organization(id: $id) { backups { totalCount nodes { name status createdAt sizeBytes } } } }`

t.test('GraphQL over HTTP', async (t) => {
  const { app, sim } = await buildTestApp(t, { simulator: { clock: new FakeClock() } })

  t.test('Accept: application/graphql-response+json is answered in that type', async (t) => {
    const res = await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: headersOf({ accept: 'application/graphql-response+json' }),
      payload: { query: QUERY, variables: { id: DEMO_ORG_ID } }
    })
    t.equal(res.statusCode, 200)
    t.match(res.headers['content-type'], /^application\/graphql-response\+json/)
    t.equal(res.json().data.organization.backups.totalCount, DEMO_BACKUPS.length)

    const bad = await app.inject({ method: 'POST', url: '/graphql', headers: headersOf({ accept: 'application/graphql-response+json, application/json;q=0.9' }), payload: { query: '{ nope }' } })
    t.equal(bad.statusCode, 400)
    t.match(bad.headers['content-type'], /^application\/graphql-response\+json/)

    const plain = await app.inject({ method: 'POST', url: '/graphql', headers: headersOf({ accept: 'application/json' }), payload: { query: QUERY, variables: { id: DEMO_ORG_ID } } })
    t.match(plain.headers['content-type'], /^application\/json/)
  })

  t.test('null extensions, variables and operationName are accepted', async (t) => {
    const query = `{ service(id: "${CATALOG}") { backups { totalCount } } }`
    for (const nulls of [{ extensions: null }, { variables: null }, { operationName: null }, { extensions: null, variables: null, operationName: null }]) {
      const res = await app.inject({ method: 'POST', url: '/graphql', headers: headersOf(), payload: { query, ...nulls } })
      t.equal(res.statusCode, 200, JSON.stringify(nulls))
      t.same(res.json(), { data: { service: { backups: { totalCount: 3 } } } }, JSON.stringify(nulls))
    }
    const batch = await app.inject({ method: 'POST', url: '/graphql', headers: headersOf(), payload: [{ query, extensions: null, variables: null, operationName: null }] })
    t.same(batch.json(), [{ data: { service: { backups: { totalCount: 3 } } } }])
  })

  t.test('operationName picks the operation', async (t) => {
    const { body } = await gql(app, `query A { a: service(id: "a") { id } } query B { b: service(id: "b") { id } }`, { operationName: 'B' })
    t.same(body, { data: { b: { id: 'b' } } })
  })

  t.test('queries over GET', async (t) => {
    const res = await app.inject({
      method: 'GET',
      url: `/graphql?query=${encodeURIComponent(QUERY)}&variables=${encodeURIComponent(JSON.stringify({ id: DEMO_ORG_ID }))}`,
      headers: { authorization: BEARER }
    })
    t.equal(res.statusCode, 200)
    t.equal(res.json().data.organization.backups.totalCount, DEMO_BACKUPS.length)
  })

  // A GET's URL names no caller: a shared cache keeping the answer would hand it to the next caller.
  t.test('every answer is Cache-Control: private, no-store and varies on Accept and Authorization, GET and POST, errors included', async (t) => {
    const get = (query: string, headers: Record<string, string> = { authorization: BEARER }) =>
      app.inject({ method: 'GET', url: `/graphql?query=${encodeURIComponent(query)}&variables=${encodeURIComponent(JSON.stringify({ id: DEMO_ORG_ID }))}`, headers })
    const answers = {
      'GET 200': await get(QUERY),
      'GET 200 as graphql-response+json': await get(QUERY, { authorization: BEARER, accept: GRAPHQL_RESPONSE_TYPE }),
      'GET 405 (a mutation)': await get('mutation { __typename }'),
      'GET 401 (no token: the preflight header passes the CSRF check)': await get(QUERY, { 'x-mercurius-operation-name': 'Org' }),
      'POST 200': await app.inject({ method: 'POST', url: '/graphql', headers: headersOf(), payload: { query: QUERY, variables: { id: DEMO_ORG_ID } } }),
      'POST 200, a batch': await app.inject({ method: 'POST', url: '/graphql', headers: headersOf(), payload: [{ query: QUERY, variables: { id: DEMO_ORG_ID } }] }),
      'POST 400': await app.inject({ method: 'POST', url: '/graphql', headers: headersOf(), payload: { query: '{ nope }' } }),
      'POST 401': await app.inject({ method: 'POST', url: '/graphql', headers: headersOf({ authorization: null }), payload: { query: QUERY, variables: { id: DEMO_ORG_ID } } })
    }
    for (const [what, res] of Object.entries(answers)) {
      t.equal(res.statusCode, Number(/\d{3}/.exec(what)?.[0]), what)
      t.equal(res.headers['cache-control'], 'private, no-store', what)
      t.equal(res.headers.vary, 'Accept, Authorization', what)
    }
  })

  t.test('GraphiQL is served at /graphiql, pointed at /graphql', async (t) => {
    const page = await app.inject({ method: 'GET', url: '/graphiql' })
    t.equal(page.statusCode, 200)
    t.match(page.headers['content-type'], /text\/html/)
    t.match(page.body, /GraphiQL/)
    const config = await app.inject({ method: 'GET', url: '/graphiql/config.js' })
    t.match(config.body, /window\.GRAPHQL_ENDPOINT = '\/graphql'/)
    const slash = await app.inject({ method: 'GET', url: '/graphiql/' })
    t.equal(slash.statusCode, 301, 'with a trailing slash: sent to the page')
    t.equal(slash.headers.location, '/graphiql')
    const shared = await app.inject({ method: 'GET', url: '/graphiql/?query=%7B%20__typename%20%7D' })
    t.equal(shared.headers.location, '/graphiql?query=%7B%20__typename%20%7D', 'a shared link keeps its query')
  })

  t.test('JIT: repeated runs of one operation answer the same, errors included', async (t) => {
    const query = `query J($id: ID!, $first: Int) {
      organization(id: $id) { backups(first: $first) { totalCount edges { cursor node { name status createdAt sizeBytes policy { nextRuns(count: 1) } } } } services { id } }
      bad: organization(id: "acme") { id }
    }`
    // nextRuns counts from a fixed clock: runs on either side of 02:00 UTC would differ.
    const clocked = await buildClockedGraphqlApp(t, sim, () => FAKE_EPOCH)
    const runs = []
    for (let i = 0; i < 4; i++) runs.push((await gql(clocked, query, { variables: { id: DEMO_ORG_ID, first: 4 } })).body)
    const first = runs[0]
    t.equal(first?.data.organization.backups.edges.length, 4)
    const policies = (first?.data.organization.backups.edges as Array<{ node: { policy: { nextRuns: string[] } | null } }>).flatMap((e) => e.node.policy ?? [])
    t.ok(policies.length > 0, 'some backups have a policy')
    for (const policy of policies) t.same(policy.nextRuns, [new Date(FAKE_EPOCH + 2 * 3_600_000).toISOString()], 'from the injected clock')
    t.same(first?.errors?.map((e) => [e.extensions.code, e.extensions.field, e.path]), [['BAD_USER_INPUT', 'id', ['bad']]])
    for (const run of runs.slice(1)) t.same(run, first)
  })

  t.test('a curl-style POST with the dev token returns the seeded backups', async (t) => {
    const res = await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', authorization: BEARER },
      payload: JSON.stringify({ query: `{ organization(id: "${DEMO_ORG_ID}") { backups { nodes { name } } } }` })
    })
    t.equal(res.statusCode, 200)
    t.same(res.json().data.organization.backups.nodes.map((n: { name: string }) => n.name).sort(), DEMO_BACKUPS.map((b) => b.name).sort())
  })
})

t.test('GraphQL answers keep the Vary CORS sets (Origin): Accept and Authorization are appended', async (t) => {
  const { app } = await buildTestApp(t, { env: { CORS_ORIGINS: 'http://localhost:3000' } })
  const origin = 'http://localhost:3000'
  const get = await app.inject({ method: 'GET', url: `/graphql?query=${encodeURIComponent(QUERY)}&variables=${encodeURIComponent(JSON.stringify({ id: DEMO_ORG_ID }))}`, headers: { origin, authorization: BEARER } })
  const post = await app.inject({ method: 'POST', url: '/graphql', headers: headersOf({ origin }), payload: { query: QUERY, variables: { id: DEMO_ORG_ID } } })
  for (const [what, res] of [['GET', get], ['POST', post]] as const) {
    t.equal(res.statusCode, 200, what)
    t.equal(res.headers['access-control-allow-origin'], origin, what)
    t.equal(res.headers['cache-control'], 'private, no-store', what)
    t.equal(res.headers.vary, 'Origin, Accept, Authorization', what)
  }
  // The page is static, the same for everyone: nothing new on it.
  const page = await app.inject({ method: 'GET', url: '/graphiql', headers: { origin } })
  t.equal(page.headers['cache-control'], undefined)
  t.notMatch(String(page.headers.vary ?? ''), /Authorization/)
})
