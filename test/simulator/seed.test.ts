import t from 'tap'
import { DEMO_BACKUPS, DEMO_ORG_ID, DEMO_POLICY_ID, DEMO_SERVICE_IDS, DEV_TOKEN, startSimulator } from '../../src/simulator/index.js'
import { FAKE_EPOCH, FakeClock } from '../helpers/clock.js'
import { harness, TestClient } from './client.js'

t.test('the fixed ids', async (t) => {
  t.equal(DEV_TOKEN, 'vbase-dev-token')
  t.match(DEMO_ORG_ID, /^[0-9a-f-]{36}$/)
  t.equal(DEMO_SERVICE_IDS.length, 3)
  t.match(DEMO_POLICY_ID, /^[0-9a-f-]{36}$/)
})

t.test('seeded: the demo organization, its services, backups in every state and a policy', async (t) => {
  const { client, clock } = await harness(t, { seed: true })
  const all = (await client.call('ListBackupByOrg', { organization_id: DEMO_ORG_ID })).backups
  t.same(all.map((b) => b.name).sort(), DEMO_BACKUPS.map((b) => b.name).sort(), 'every seeded backup, under the dev token')
  t.same([...new Set(all.map((b) => b.status))].sort(), ['COMPLETED', 'FAILED', 'PENDING', 'RUNNING'], 'all four states')
  t.same([...new Set(all.map((b) => b.service_id))].sort(), [...DEMO_SERVICE_IDS].sort(), 'spread over the three services')
  for (const b of all) {
    const seeded = DEMO_BACKUPS.find((d) => d.name === b.name)
    t.equal(b.status, seeded?.status, `${b.name} starts ${seeded?.status}`)
    if (b.status === 'COMPLETED') t.ok(Number(b.size_bytes) > 0 && b.completed_at !== null, `${b.name} has a size and completed_at`)
    if (b.status === 'FAILED') t.not(b.error_message, '', `${b.name} says why it failed`)
  }
  for (const id of DEMO_SERVICE_IDS) {
    const listed = (await client.call('ListBackups', { service_id: id })).backups
    t.ok(listed.length > 0, `${id} has backups`)
  }
  const policies = (await client.call('ListBackupPolicies', { service_id: DEMO_SERVICE_IDS[0] })).policies
  t.match(policies, [{ id: DEMO_POLICY_ID, organization_id: DEMO_ORG_ID, is_active: true }])

  clock.advance(3000)
  const later = (await client.call('ListBackupByOrg', { organization_id: DEMO_ORG_ID })).backups
  t.same([...new Set(later.map((b) => b.status))].sort(), ['COMPLETED', 'FAILED'], 'seeded PENDING and RUNNING jobs progress like any other')

  // The demo policy runs daily at 02:00 UTC; the fake clock starts at midnight.
  clock.advanceTo(FAKE_EPOCH + 2 * 3_600_000)
  const fired = (await client.call('ListBackups', { service_id: DEMO_SERVICE_IDS[0] })).backups.filter((b) => b.policy_id === DEMO_POLICY_ID)
  t.ok(fired.some((b) => b.name.endsWith('-20260101020000')), 'the seeded policy fires')
})

t.test('seeding is on by default', async (t) => {
  const sim = await startSimulator({ clock: new FakeClock() })
  t.teardown(() => sim.close())
  const client = new TestClient(sim.address)
  t.teardown(() => client.close())
  t.equal((await client.call('ListBackupByOrg', { organization_id: DEMO_ORG_ID })).backups.length, DEMO_BACKUPS.length)
})

t.test('seed=false starts empty', async (t) => {
  const { client } = await harness(t, { seed: false })
  t.same((await client.call('ListBackupByOrg', { organization_id: DEMO_ORG_ID })).backups, [])
  t.same((await client.call('ListBackupPolicies', { service_id: DEMO_SERVICE_IDS[0] })).policies, [])
})
