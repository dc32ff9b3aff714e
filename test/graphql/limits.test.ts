/**
 * GraphQL limits: depth, aliases, tokens and cost refuse an operation with a
 * 400 and a clear message before any upstream call (counted at the
 * simulator); batched operations are each held to them and a batch has a
 * maximum size; introspection can be switched off, and is held to one copy
 * of the schema per request; field suggestions can be hidden. The defaults
 * admit realistic use: GraphiQL's schema query, a page of 100 backups, 20
 * services side by side.
 */
import t, { type Test } from 'tap'
import { getIntrospectionQuery } from 'graphql'
import { loadConfig } from '../../src/config.js'
import { withoutSuggestion } from '../../src/graphql/limits.js'
import { DEMO_ORG_ID, DEMO_SERVICE_IDS } from '../../src/simulator/index.js'
import { buildTestApp } from '../helpers/app.js'
import { FakeClock } from '../helpers/clock.js'
import { codes, gql, headersOf, type GqlBody } from './helpers.js'

const [CATALOG] = DEMO_SERVICE_IDS
const defaults = loadConfig({})

/** A selection `levels` fields deep, cycling Service -> backups -> nodes -> service. */
function deepQuery (levels: number): string {
  const cycle = ['backups', 'nodes', 'service']
  const leaf: Record<string, string> = { service: 'id', backups: 'totalCount', nodes: 'name' }
  // Level 1 is `service`; levels 2..levels-1 wrap; the last level is a leaf of its parent's type.
  const path = ['service', ...Array.from({ length: levels - 2 }, (_, i) => cycle[i % 3] as string)]
  let inner = leaf[path[path.length - 1] as string] as string
  for (const field of path.slice(1).reverse()) inner = `${field} { ${inner} }`
  return `{ service(id: "${CATALOG}") { ${inner} } }`
}

/** A document of exactly `n` tokens (n >= 20): a status filter with n - 20 values. */
function tokens (n: number): string {
  return `{ service(id: "${CATALOG}") { backups(status: [${'COMPLETED '.repeat(n - 20)}]) { totalCount } } }`
}

t.test('the defaults', async (t) => {
  t.equal(defaults.GRAPHQL_MAX_DEPTH, 10)
  t.equal(defaults.GRAPHQL_MAX_ALIASES, 50)
  t.equal(defaults.GRAPHQL_MAX_TOKENS, 2000)
  t.equal(defaults.GRAPHQL_MAX_COST, 20000)
  t.equal(defaults.GRAPHQL_MAX_BATCH, 10)
  t.equal(defaults.GRAPHQL_INTROSPECTION, true, 'introspection is on: GraphiQL needs it')
  t.equal(defaults.GRAPHQL_HIDE_SUGGESTIONS, false)
})

t.test('limits refuse an operation before any upstream call', async (t) => {
  const { app, sim } = await buildTestApp(t, { simulator: { clock: new FakeClock() } })

  /** Send `query`; expect a 400 whose one error says `message`, and no upstream call. */
  async function refused (t: Test, query: string, message: RegExp, code = 'GRAPHQL_VALIDATION_FAILED'): Promise<void> {
    sim.resetCalls()
    const { status, body } = await gql(app, query)
    t.equal(status, 400)
    t.notOk('data' in body, 'a request error has no data')
    t.same(codes(body), [code])
    t.match(body.errors?.[0]?.message, message)
    t.equal(sim.callCount(), 0, 'the simulator saw no call')
  }

  t.test('depth', async (t) => {
    await refused(t, deepQuery(11), /^Query depth limit of 10 exceeded, found 11\.$/)
    const { body } = await gql(app, deepQuery(10))
    t.notOk(body.errors, 'depth 10 is allowed')
  })

  t.test('fragments do not hide depth', async (t) => {
    await refused(t, `{ service(id: "${CATALOG}") { ...S } }
      fragment S on Service { backups { nodes { service { backups { nodes { service { backups { nodes { service { id } } } } } } } } } }`,
    /^Query depth limit of 10 exceeded, found 11\.$/)
  })

  t.test('aliases', async (t) => {
    const aliased = (n: number): string => `{ ${Array.from({ length: n }, (_, i) => `a${i}: service(id: "svc-${i}") { id }`).join(' ')} }`
    await refused(t, aliased(51), /^Aliases limit of 50 exceeded, found 51\.$/)
    const { body } = await gql(app, aliased(50))
    t.notOk(body.errors, '50 aliases are allowed')
  })

  t.test('tokens', async (t) => {
    await refused(t, tokens(2001), /Document contains more that 2000 tokens\. Parsing aborted\./, 'GRAPHQL_PARSE_FAILED')
    const { body } = await gql(app, tokens(2000))
    t.notOk(body.errors, '2000 tokens are allowed')
  })

  t.test('cost', async (t) => {
    await refused(t, `{ service(id: "${CATALOG}") { backups(first: 10000) { nodes { name status } } } }`, /^Query Cost limit of 20000 exceeded, found \d+(\.\d+)?\.$/)
  })

  t.test('every limit is reported, not only the first', async (t) => {
    sim.resetCalls()
    const fields = Array.from({ length: 51 }, (_, i) => `a${i}: service(id: "svc-${i}") { id }`).join(' ')
    const { status, body } = await gql(app, `{ ${fields} deep: ${deepQuery(11).slice(2, -2)} }`)
    t.equal(status, 400)
    t.match(body.errors?.map((e) => e.message), [/^Query depth limit/, /^Aliases limit/])
    t.equal(sim.callCount(), 0)
  })

  t.test('a GET is held to the same limits', async (t) => {
    sim.resetCalls()
    const res = await app.inject({ method: 'GET', url: `/graphql?query=${encodeURIComponent(deepQuery(11))}`, headers: headersOf() })
    t.equal(res.statusCode, 400)
    t.match(res.json().errors[0].message, /^Query depth limit of 10 exceeded/)
    t.equal(sim.callCount(), 0)
  })
})

t.test('the defaults admit realistic use', async (t) => {
  const { app } = await buildTestApp(t, { simulator: { clock: new FakeClock() } })

  t.test('GraphiQL\'s schema query, with every option, without a token', async (t) => {
    const query = getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true })
    const { status, body } = await gql(app, query, { headers: { authorization: null } })
    t.equal(status, 200)
    t.notOk(body.errors)
    t.equal(body.data.__schema.queryType.name, 'Query')
  })

  t.test('a page of 100 backups with every field', async (t) => {
    const { body } = await gql(app, `{ organization(id: "${DEMO_ORG_ID}") { backups(first: 100) { totalCount
      edges { cursor node { name serviceId status createdAt completedAt sizeBytes errorMessage dbName collectionNames policy { id scheduleCron } } }
      pageInfo { hasNextPage endCursor } } } }`)
    t.notOk(body.errors)
  })

  t.test('introspection nesting is bounded by graphql-js, not by these limits', async (t) => {
    const { status, body } = await gql(app, '{ __schema { types { fields { type { fields { type { fields { type { fields { name } } } } } } } } } }', { headers: { authorization: null } })
    t.equal(status, 400)
    t.match(body.errors?.[0]?.message, /Maximum introspection depth exceeded/)
  })
})

t.test('batched operations', async (t) => {
  const { app, sim } = await buildTestApp(t, { simulator: { clock: new FakeClock() } })

  t.test('each operation is held to the limits on its own', async (t) => {
    sim.resetCalls()
    const res = await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: headersOf(),
      payload: [
        { query: `{ service(id: "${CATALOG}") { backups { totalCount } } }` },
        { query: deepQuery(11) },
        { query: `{ ${Array.from({ length: 51 }, (_, i) => `a${i}: service(id: "svc-${i}") { id }`).join(' ')} }` }
      ]
    })
    t.equal(res.statusCode, 200)
    const answers = res.json() as GqlBody[]
    t.same(answers[0], { data: { service: { backups: { totalCount: 3 } } } })
    t.same(codes(answers[1] as GqlBody), ['GRAPHQL_VALIDATION_FAILED'])
    t.match(answers[1]?.errors?.[0]?.message, /^Query depth limit of 10 exceeded/)
    t.match(answers[2]?.errors?.[0]?.message, /^Aliases limit of 50 exceeded/)
    t.equal(sim.callCount(), 1, 'only the first operation reached the upstream')
  })

  t.test('a batch holds at least one operation', async (t) => {
    const res = await app.inject({ method: 'POST', url: '/graphql', headers: headersOf(), payload: [] })
    t.equal(res.statusCode, 400)
    t.same(res.json(), { errors: [{ message: 'a batch (a JSON array) holds at least one operation; this one holds none', extensions: { code: 'BAD_USER_INPUT', grpcStatus: 'INVALID_ARGUMENT' } }] })
  })

  t.test('a batch holds at most GRAPHQL_MAX_BATCH operations', async (t) => {
    const op = { query: `{ service(id: "${CATALOG}") { backups { totalCount } } }` }
    sim.resetCalls()
    const res = await app.inject({ method: 'POST', url: '/graphql', headers: headersOf(), payload: Array.from({ length: 11 }, () => op) })
    t.equal(res.statusCode, 400)
    t.same(res.json(), { errors: [{ message: 'a batch may hold at most 10 operations; this one holds 11', extensions: { code: 'BAD_USER_INPUT', grpcStatus: 'INVALID_ARGUMENT' } }] })
    t.equal(sim.callCount(), 0)

    const ten = await app.inject({ method: 'POST', url: '/graphql', headers: headersOf(), payload: Array.from({ length: 10 }, () => op) })
    t.equal(ten.statusCode, 200)
    t.equal((ten.json() as GqlBody[]).length, 10)
  })
})

t.test('limits are configurable', async (t) => {
  const { app, sim } = await buildTestApp(t, {
    env: { GRAPHQL_MAX_DEPTH: '3', GRAPHQL_MAX_ALIASES: '1', GRAPHQL_MAX_TOKENS: '30', GRAPHQL_MAX_COST: '10', GRAPHQL_MAX_BATCH: '2' },
    simulator: { clock: new FakeClock() }
  })
  sim.resetCalls()
  t.match((await gql(app, deepQuery(4))).body.errors?.[0]?.message, /^Query depth limit of 3 exceeded, found 4\.$/)
  t.match((await gql(app, '{ a: service(id: "a") { id } b: service(id: "b") { id } }')).body.errors?.[0]?.message, /^Aliases limit of 1 exceeded, found 2\.$/)
  t.match((await gql(app, tokens(31))).body.errors?.[0]?.message, /more that 30 tokens/)
  t.match((await gql(app, '{ service(id: "a") { backups(first: 5) { totalCount } } }')).body.errors?.[0]?.message, /^Query Cost limit of 10 exceeded/)
  const batch = await app.inject({ method: 'POST', url: '/graphql', headers: headersOf(), payload: Array.from({ length: 3 }, () => ({ query: '{ __typename }' })) })
  t.equal(batch.statusCode, 400)
  t.equal(sim.callCount(), 0)
})

t.test('aliases of __typename count like any other', async (t) => {
  const { app, sim } = await buildTestApp(t, { simulator: { clock: new FakeClock() } })
  const typenames = (n: number): string => Array.from({ length: n }, (_, i) => `t${i}: __typename`).join(' ')
  sim.resetCalls()
  const over = await gql(app, `{ service(id: "${CATALOG}") { backups { nodes { ${typenames(51)} } } } }`)
  t.equal(over.status, 400)
  t.match(over.body.errors?.[0]?.message, /^Aliases limit of 50 exceeded, found 51\.$/)
  t.equal(sim.callCount(), 0)
  t.notOk((await gql(app, `{ service(id: "${CATALOG}") { backups { nodes { ${typenames(50)} __typename } } } }`)).body.errors, 'fifty, and __typename itself, pass')
})

t.test('introspection can be switched off', async (t) => {
  const { app, sim } = await buildTestApp(t, { env: { GRAPHQL_INTROSPECTION: 'false' }, simulator: { clock: new FakeClock() } })
  sim.resetCalls()
  for (const query of ['{ __schema { queryType { name } } }', '{ __type(name: "Backup") { fields { name } } }', getIntrospectionQuery()]) {
    const { status, body } = await gql(app, query)
    t.equal(status, 400)
    t.match(body.errors?.[0]?.message, /introspection has been disabled/)
  }
  const { body } = await gql(app, `{ __typename service(id: "${CATALOG}") { backups { totalCount } } }`)
  t.same(body, { data: { __typename: 'Query', service: { backups: { totalCount: 3 } } } }, '__typename and queries still work')
})

t.test('introspection answers at most one copy of the schema per request', async (t) => {
  const { app, logs } = await buildTestApp(t, { simulator: { clock: new FakeClock() } })
  const anonymous = { headers: { authorization: null } }
  const SCHEMA = 'fragment S on __Schema { types { name description fields { name description args { name type { name } } type { name kind ofType { name } } } enumValues { name } } }'

  t.test('one __schema and one __type field per operation, through fragments too', async (t) => {
    const cases: Array<[string, string, number]> = [
      [`{ a: __schema { ...S } b: __schema { ...S } } ${SCHEMA}`, '__schema', 2],
      ['{ a: __type(name: "Backup") { name } b: __type(name: "Service") { name } c: __type(name: "Query") { name } }', '__type', 3],
      [`{ __schema { ...S } ...R } fragment R on Query { again: __schema { ...S } } ${SCHEMA}`, '__schema', 2],
      [`{ ... on Query { a: __schema { ...S } } b: __schema { ...S } } ${SCHEMA}`, '__schema', 2]
    ]
    for (const [query, field, found] of cases) {
      const { status, body } = await gql(app, query, anonymous)
      t.equal(status, 400, query)
      t.same(codes(body), ['GRAPHQL_VALIDATION_FAILED'], query)
      t.equal(body.errors?.[0]?.message, `Introspection limit of 1 ${field} field exceeded, found ${found}.`, query)
    }
    // One response key, however many times it is selected: graphql-js merges them into one answer.
    const merged = await gql(app, `{ __schema { ...S } __schema { queryType { name } } ...R __typename } fragment R on Query { __schema { ...S } } ${SCHEMA}`, anonymous)
    t.equal(merged.status, 200)
    t.equal(merged.body.data.__schema.queryType.name, 'Query')
    const both = await gql(app, '{ s: __schema { queryType { name } } t: __type(name: "Backup") { name } __typename }', anonymous)
    t.same(both.body, { data: { s: { queryType: { name: 'Query' } }, t: { name: 'Backup' }, __typename: 'Query' } }, 'one of each, aliased, and __typename, are fine')
  })

  t.test('no alias inside introspection, through fragments too', async (t) => {
    const cases: Array<[string, string]> = [
      ['{ __schema { t0: types { name } t1: types { name } } }', 't0: types'],
      ['{ __type(name: "Backup") { fields { n: name } } }', 'n: name'],
      ['{ __schema { ...T } } fragment T on __Schema { types { ...N } } fragment N on __Type { d1: description }', 'd1: description'],
      ['{ __schema { types { ... on __Type { k: kind } } } }', 'k: kind']
    ]
    for (const [query, alias] of cases) {
      const { status, body } = await gql(app, query, anonymous)
      t.equal(status, 400, query)
      t.equal(body.errors?.[0]?.message, `Aliases are not allowed inside introspection, found "${alias}".`, query)
    }
    const same = await gql(app, '{ __schema { types: types { name: name } } }', anonymous)
    t.equal(same.status, 200, 'an alias that renames nothing is no copy')
  })

  t.test('a batch of several operations may not introspect; alone it may', async (t) => {
    const message = 'Introspection (__schema, __type) is not allowed in a batch of several operations: send it alone.'
    const introspection = { query: '{ __schema { queryType { name } } }' }
    // Twice: the second run of each document is a cached one, which skips validation.
    for (let run = 0; run < 2; run++) {
      const res = await app.inject({ method: 'POST', url: '/graphql', headers: headersOf(), payload: [introspection, { query: `{ __type(name: "Backup") { name } }` }, { query: '{ __typename }' }] })
      t.equal(res.statusCode, 200)
      const [a, b, c] = res.json() as GqlBody[]
      for (const refused of [a, b]) {
        t.same(codes(refused as GqlBody), ['GRAPHQL_VALIDATION_FAILED'])
        t.equal(refused?.errors?.[0]?.message, message)
      }
      t.same(c, { data: { __typename: 'Query' } }, '__typename is no introspection')
    }
    const alone = await app.inject({ method: 'POST', url: '/graphql', headers: headersOf(), payload: [introspection] })
    t.same(alone.json(), [{ data: { __schema: { queryType: { name: 'Query' } } } }])
  })

  t.test('a small anonymous request cannot ask for megabytes', async (t) => {
    const fragment = 'fragment S on __Schema { types { name description fields(includeDeprecated: true) { name description args { name description defaultValue type { name kind ofType { name kind } } } type { name kind ofType { name kind ofType { name kind } } } } inputFields { name description type { name kind ofType { name } } } enumValues(includeDeprecated: true) { name description } interfaces { name } possibleTypes { name } } directives { name description args { name description type { name } } } }'
    const aliased = `{ ${Array.from({ length: 49 }, (_, i) => `a${i}: __schema { ...S }`).join(' ')} } ${fragment}`
    const inside = `{ __schema { ${Array.from({ length: 40 }, (_, i) => `t${i}: types { name description fields { name description type { name } } }`).join(' ')} } }`
    for (const query of [aliased, inside]) {
      for (const payload of [{ query }, Array.from({ length: 10 }, () => ({ query }))]) {
        const request = JSON.stringify(payload)
        const res = await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload: request })
        t.ok(res.body.length < 10 * request.length, `${request.length} bytes asked, ${res.body.length} answered`)
      }
    }
    const graphiql = await gql(app, getIntrospectionQuery({ descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true }), anonymous)
    t.equal(graphiql.status, 200, 'GraphiQL\'s own schema query still passes')
    t.notOk(graphiql.body.errors)
  })

  t.test('refusals are the caller\'s errors, not server faults', async (t) => {
    t.same(logs.filter((line) => /"level":50/.test(line)), [])
  })
})

t.test('field suggestions', async (t) => {
  const typo = '{ servce(id: "x") { id } }'
  const badEnum = { query: 'query ($s: [JobStatus!]) { service(id: "x") { backups(status: $s) { totalCount } } }', variables: { s: ['COMPLETE'] } }

  t.test('are shown by default', async (t) => {
    const { app } = await buildTestApp(t)
    t.match((await gql(app, typo)).body.errors?.[0]?.message, /Did you mean "service"\?/)
    t.match((await gql(app, badEnum.query, { variables: badEnum.variables })).body.errors?.[0]?.message, /Did you mean the enum value "COMPLETED"\?/)
  })

  t.test('are hidden with GRAPHQL_HIDE_SUGGESTIONS=true', async (t) => {
    const { app } = await buildTestApp(t, { env: { GRAPHQL_HIDE_SUGGESTIONS: 'true' } })
    const { status, body } = await gql(app, typo)
    t.equal(status, 400)
    t.equal(body.errors?.[0]?.message, 'Cannot query field "servce" on type "Query".')
    const coerced = await gql(app, badEnum.query, { variables: badEnum.variables })
    t.notMatch(coerced.body.errors?.[0]?.message, /Did you mean|COMPLETED/)
    t.match(coerced.body.errors?.[0]?.message, /Value "COMPLETE" does not exist in "JobStatus" enum\.$/)
    const batch = await app.inject({ method: 'POST', url: '/graphql', headers: headersOf(), payload: [{ query: typo }] })
    t.notMatch(batch.body, /Did you mean/, 'in a batch too')
  })

  t.test('every wording graphql-js uses', async (t) => {
    t.equal(withoutSuggestion('Cannot query field "a" on type "Q". Did you mean "b", "c", or "d"?'), 'Cannot query field "a" on type "Q".')
    t.equal(withoutSuggestion('Unknown argument "x" on field "Q.s". Did you mean "id"?'), 'Unknown argument "x" on field "Q.s".')
    t.equal(withoutSuggestion('Unknown type "Bakup". Did you mean "Backup"?'), 'Unknown type "Bakup".')
    t.equal(withoutSuggestion('Value "X" does not exist in "E" enum. Did you mean the enum value "Y"?'), 'Value "X" does not exist in "E" enum.')
    t.equal(withoutSuggestion('No suggestion here.'), 'No suggestion here.')
  })
})
