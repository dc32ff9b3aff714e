/**
 * The largest upstream answer the gateway takes (UPSTREAM_MAX_MESSAGE_BYTES).
 * grpc-js's default, 4 MiB, was passed by a few backups whose collection
 * lists the API accepts, and its failure read as a 429 "out of capacity,
 * try again later": a service's and its organization's lists could not be
 * read again, and retrying could not help.
 */
import t from 'tap'
import { DEMO_ORG_ID, DEV_TOKEN } from '../../src/simulator/index.js'
import { buildTestApp } from '../helpers/app.js'

const auth = { authorization: `Bearer ${DEV_TOKEN}`, 'content-type': 'application/json' }
const SVC = 'svc-wide'

/** A backup whose request is about 850 KB: 8500 collection names of 96 characters. */
const wide = (i: number): object => ({
  organization_id: DEMO_ORG_ID,
  db_name: 'db',
  backup_name: `wide-${i}`,
  collection_names: Array.from({ length: 8500 }, (_, n) => `c${String(n).padStart(5, '0')}-${'x'.repeat(89)}`)
})

t.test('lists past grpc-js\'s 4 MiB default are read, on both surfaces', async (t) => {
  const { app } = await buildTestApp(t)
  for (let i = 0; i < 6; i++) {
    const res = await app.inject({ method: 'POST', url: `/v1/vbase/${SVC}/backup`, headers: auth, payload: wide(i) })
    t.equal(res.statusCode, 200, `create ${i}: ${res.statusCode}`)
  }
  const list = await app.inject({ url: `/v1/vbase/${SVC}/backup`, headers: auth })
  t.equal(list.statusCode, 200, list.statusCode === 200 ? 'the service list' : list.body)
  t.ok(list.body.length > 4.5 * 1024 * 1024, `${list.body.length} bytes of JSON, about 5 MB on the wire`)
  const org = await app.inject({ method: 'POST', url: '/graphql', headers: auth, payload: { query: `{ organization(id: "${DEMO_ORG_ID}") { backups { totalCount } } }` } })
  t.notOk(org.json().errors, org.body.slice(0, 300))
  t.ok(org.json().data.organization.backups.totalCount >= 6, "the organization's list")
})

t.test('an answer over UPSTREAM_MAX_MESSAGE_BYTES is a 500 naming the variable, logged, not a 429 to retry', async (t) => {
  const { app, logs } = await buildTestApp(t, { env: { UPSTREAM_MAX_MESSAGE_BYTES: '1024', UPSTREAM_READ_ATTEMPTS: '1' } })
  // The demo organization's 12 backups: about 2 KB on the wire.
  const rest = await app.inject({ method: 'POST', url: `/v1/vbase/backup/org/${DEMO_ORG_ID}`, headers: auth, payload: {} })
  t.equal(rest.statusCode, 500)
  t.match(rest.json(), { code: 13, message: /larger than this gateway takes \(UPSTREAM_MAX_MESSAGE_BYTES\)/ })
  t.equal(rest.headers['retry-after'], undefined)
  const gql = await app.inject({ method: 'POST', url: '/graphql', headers: auth, payload: { query: `{ organization(id: "${DEMO_ORG_ID}") { backups { totalCount } } }` } })
  t.match(gql.json(), { errors: [{ message: /UPSTREAM_MAX_MESSAGE_BYTES/, extensions: { code: 'INTERNAL_SERVER_ERROR' } }] })
  t.ok(logs.some((l) => l.includes('"level":50') && l.includes('Received message larger than max')), 'the error line has grpc-js\'s own words, with the sizes')
  t.ok((await app.inject({ url: '/healthz' })).statusCode === 200, 'the gateway stays up')
})

t.test('UPSTREAM_MAX_MESSAGE_BYTES below 1024 stops the boot', async (t) => {
  const { loadConfig } = await import('../../src/config.js')
  t.throws(() => loadConfig({ UPSTREAM_MAX_MESSAGE_BYTES: '100' }), { code: 'VBGW_INVALID_CONFIG', message: /UPSTREAM_MAX_MESSAGE_BYTES/ })
  t.equal(loadConfig({}).UPSTREAM_MAX_MESSAGE_BYTES, 64 * 1024 * 1024)
})
