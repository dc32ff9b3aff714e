/**
 * Strings src/upstream/validate.ts refuses, through both surfaces that share
 * it: text that is not well-formed Unicode (a lone UTF-16 surrogate, which
 * JSON can spell but UTF-8, and so proto3, cannot hold) and a cron that is
 * not classic five-field cron. Each is a 400 / BAD_USER_INPUT naming the
 * field, before any upstream call: nothing is made under another name.
 */
import t from 'tap'
import { DEMO_ORG_ID, DEMO_POLICY_ID, DEMO_SERVICE_IDS, DEV_TOKEN } from '../../src/simulator/index.js'
import { buildTestApp } from '../helpers/app.js'
import { FakeClock } from '../helpers/clock.js'
import { gql } from '../graphql/helpers.js'

const [CATALOG] = DEMO_SERVICE_IDS
const SVC = 'svc-strings'
const auth = { authorization: `Bearer ${DEV_TOKEN}` }
const LONE = 'x\\ud800y' // as written in JSON: the escape of a lone high surrogate

/** [route, JSON body as sent (escapes kept), field named]. */
const REST: Array<[string, string, string, string]> = [
  ['POST', `/v1/vbase/${SVC}/backup`, `{"organization_id":"${DEMO_ORG_ID}","db_name":"d","collection_names":["c"],"backup_name":"${LONE}"}`, 'backup_name'],
  ['POST', `/v1/vbase/${SVC}/backup`, `{"organization_id":"${DEMO_ORG_ID}","db_name":"d\\udfff","collection_names":["c"]}`, 'db_name'],
  ['POST', `/v1/vbase/${CATALOG}/backup/restore`, `{"organization_id":"${DEMO_ORG_ID}","backup_name":"catalog-nightly-001","db_name":"d","collection_names":["c","${LONE}"]}`, 'collection_names[1]'],
  ['POST', `/v1/vbase/${SVC}/backup/policy`, `{"organization_id":"${DEMO_ORG_ID}","schedule_cron":"0 0 * * *\\ud800","retention_count":1}`, 'schedule_cron'],
  ['POST', `/v1/vbase/${CATALOG}/backup/policy/${DEMO_POLICY_ID}`, `{"organization_id":"${LONE}","schedule_cron":"0 0 * * *","retention_count":1}`, 'organization_id']
]

t.test('REST: a lone surrogate in any string field is a 400 naming it, before the upstream', async (t) => {
  const { app, sim } = await buildTestApp(t, { simulator: { clock: new FakeClock() } })
  for (const [method, url, payload, field] of REST) {
    sim.resetCalls()
    const res = await app.inject({ method: method as 'POST', url, headers: { ...auth, 'content-type': 'application/json' }, payload })
    t.equal(res.statusCode, 400, `${url} ${field}`)
    t.match(res.json(), {
      code: 3,
      message: `${field} must be well-formed Unicode text: it holds a lone UTF-16 surrogate (such as \\ud800), which has no UTF-8 form`,
      details: [{ field_violations: [{ field }] }]
    })
    t.equal(sim.callCount(), 0, 'no upstream call')
  }
  const list = await app.inject({ method: 'GET', url: `/v1/vbase/${SVC}/backup`, headers: { ...auth, 'cache-control': 'no-cache' } })
  t.same(list.json().backups, [], 'no backup was made, under any name')
})

t.test('GraphQL: the same through variables, on mutations and lookups', async (t) => {
  const { app, sim } = await buildTestApp(t, { simulator: { clock: new FakeClock() } })
  sim.resetCalls()
  // gql() sends JSON.stringify's output, which writes a lone surrogate as its \ud800 escape.
  const input = { serviceId: SVC, organizationId: DEMO_ORG_ID, dbName: 'd', collectionNames: ['c'], backupName: 'q\ud800z' }
  const { body } = await gql(app, 'mutation C($input: CreateBackupInput!) { createBackup(input: $input) { backup { name } } }', { variables: { input } })
  t.same(body.data, { createBackup: null })
  t.match(body.errors, [{ message: /^input\.backupName must be well-formed Unicode text/, extensions: { code: 'BAD_USER_INPUT', field: 'input.backupName' } }])

  const { body: policy } = await gql(app, 'mutation P($input: CreateBackupPolicyInput!) { createBackupPolicy(input: $input) { policy { id } } }', {
    variables: { input: { serviceId: `${SVC}\udc00`, organizationId: DEMO_ORG_ID, scheduleCron: '0 0 * * *', retentionCount: 1 } }
  })
  t.match(policy.errors, [{ extensions: { code: 'BAD_USER_INPUT', field: 'input.serviceId' } }])

  const { body: lookups } = await gql(app, 'query Q($id: ID!, $name: String!) { service(id: $id) { id } backup(serviceId: "svc", name: $name) { name } }', {
    variables: { id: 'svc\ud800', name: '\udfff' }
  })
  t.same(lookups.data, { service: null, backup: null })
  t.same(lookups.errors?.map((e) => [e.extensions.code, e.extensions.field]), [['BAD_USER_INPUT', 'id'], ['BAD_USER_INPUT', 'name']])
  t.equal(sim.callCount(), 0, 'no upstream call')
})

t.test("a cron beyond classic cron (croner's L, W, #, ?, +) is refused on both surfaces", async (t) => {
  const { app, sim } = await buildTestApp(t, { simulator: { clock: new FakeClock() } })
  sim.resetCalls()
  const rest = await app.inject({
    method: 'POST',
    url: `/v1/vbase/${SVC}/backup/policy`,
    headers: auth,
    payload: { organization_id: DEMO_ORG_ID, schedule_cron: '0 0 29 2 +0#5,1#5,2#5', retention_count: 1 }
  })
  t.equal(rest.statusCode, 400)
  t.match(rest.json(), {
    message: 'schedule_cron must be a five-field cron expression (minute hour day-of-month month day-of-week): day-of-week "+0#5,1#5,2#5" is not classic cron: ' +
      'a field takes numbers, *, ranges (1-5), lists (1,15) and steps (*/10, 0-30/10); month and day-of-week also take names (JAN, MON)',
    details: [{ field_violations: [{ field: 'schedule_cron' }] }]
  })
  const { body } = await gql(app, 'mutation P($input: CreateBackupPolicyInput!) { createBackupPolicy(input: $input) { policy { id } } }', {
    variables: { input: { serviceId: SVC, organizationId: DEMO_ORG_ID, scheduleCron: '0 0 L * *', retentionCount: 1 } }
  })
  t.match(body.errors, [{ message: /^input\.scheduleCron must be a five-field cron expression .*: day-of-month "L" is not classic cron/, extensions: { code: 'BAD_USER_INPUT', field: 'input.scheduleCron' } }])
  t.equal(sim.callCount(), 0, 'no upstream call')

  // Names are classic cron: accepted on both.
  const named = await app.inject({ method: 'POST', url: `/v1/vbase/${SVC}/backup/policy`, headers: auth, payload: { organization_id: DEMO_ORG_ID, schedule_cron: '30 4 * JAN-JUN mon-fri', retention_count: 1 } })
  t.equal(named.statusCode, 200)
})
