import t from 'tap'
import { ALL_COLLECTIONS, DEMO_ORG_ID as ORG_ID, POLICY_DB_NAME } from '../../src/simulator/index.js'
import { FAKE_EPOCH } from '../helpers/clock.js'
import { grpc, harness, rejects, type TestClient } from './client.js'

const SVC = 'svc-pol'
const HOUR = 3_600_000
const DAY = 24 * HOUR
const policyReq = (cron: string, retention: number, isActive?: boolean) => ({
  service_id: SVC, organization_id: ORG_ID, schedule_cron: cron, retention_count: retention, ...(isActive === undefined ? {} : { is_active: isActive })
})
const policyBackups = async (client: TestClient, policyId: string) =>
  (await client.call('ListBackups', { service_id: SVC })).backups.filter((b) => b.policy_id === policyId)

t.test('create, list, update and delete a policy', async (t) => {
  const { client, clock } = await harness(t)
  const p = await client.call('CreateBackupPolicy', policyReq('0 0 * * *', 7))
  t.match(p, { service_id: SVC, organization_id: ORG_ID, schedule_cron: '0 0 * * *', retention_count: 7, is_active: true, created_at: { seconds: String(FAKE_EPOCH / 1000) } })
  t.match(p.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a UUID id')
  t.same(p.updated_at, p.created_at)
  const off = await client.call('CreateBackupPolicy', policyReq('0 6 * * *', 2, false))
  t.equal(off.is_active, false, 'is_active false is kept')
  t.same((await client.call('ListBackupPolicies', { service_id: SVC })).policies.map((x) => x.id), [p.id, off.id])

  clock.advance(60_000)
  const u = await client.call('UpdateBackupPolicy', { service_id: SVC, policy_id: p.id, schedule_cron: '30 1 * * *', retention_count: 3 })
  t.match(u, { id: p.id, schedule_cron: '30 1 * * *', retention_count: 3, is_active: true, created_at: p.created_at, updated_at: { seconds: String((FAKE_EPOCH + 60_000) / 1000) } })
  const stillOff = await client.call('UpdateBackupPolicy', { service_id: SVC, policy_id: off.id, schedule_cron: '0 7 * * *', retention_count: 2 })
  t.equal(stillOff.is_active, false, 'is_active unchanged when omitted')
  const on = await client.call('UpdateBackupPolicy', { service_id: SVC, policy_id: off.id, schedule_cron: '0 7 * * *', retention_count: 2, is_active: true })
  t.equal(on.is_active, true, 'is_active set when given')

  const del = await client.call('DeleteBackupPolicy', { service_id: SVC, policy_id: p.id })
  t.match(del.policy, { id: p.id, schedule_cron: '30 1 * * *' }, 'delete returns the policy')
  t.same((await client.call('ListBackupPolicies', { service_id: SVC })).policies.map((x) => x.id), [off.id])
  await rejects(t, client.call('DeleteBackupPolicy', { service_id: SVC, policy_id: p.id }), grpc.status.NOT_FOUND, /not found/, 'second delete')
  await rejects(t, client.call('UpdateBackupPolicy', { service_id: SVC, policy_id: p.id, schedule_cron: '0 0 * * *', retention_count: 1 }), grpc.status.NOT_FOUND, /not found/, 'update of a deleted policy')
  // A policy is addressed within its service.
  await client.call('CreateBackup', { service_id: 'svc-other', organization_id: ORG_ID, db_name: 'db', collection_names: ['a'] })
  await rejects(t, client.call('DeleteBackupPolicy', { service_id: 'svc-other', policy_id: off.id }), grpc.status.NOT_FOUND, /svc-other/, 'policy of another service')
})

t.test('an hourly policy over a day keeps exactly the newest retention_count backups', async (t) => {
  const { client, clock } = await harness(t)
  await client.call('CreateBackup', { service_id: SVC, organization_id: ORG_ID, db_name: 'db', collection_names: ['a'], backup_name: 'manual' })
  const p = await client.call('CreateBackupPolicy', policyReq('0 * * * *', 3))
  clock.advance(HOUR - 1)
  t.same(await policyBackups(client, p.id), [], 'nothing before the first run')
  clock.advance(1)
  const [first] = await policyBackups(client, p.id)
  t.match(first, { name: `${p.id.slice(0, 8)}-20260101010000`, policy_id: p.id, db_name: POLICY_DB_NAME, collection_names: [ALL_COLLECTIONS], status: 'PENDING', organization_id: ORG_ID })
  clock.advance(3000)
  t.equal((await policyBackups(client, p.id))[0]?.status, 'COMPLETED', 'a policy backup runs like any job')

  const hours = (list: Array<{ name: string }>): string[] => list.map((b) => b.name.slice(9))
  clock.advanceTo(FAKE_EPOCH + DAY)
  t.same(hours(await policyBackups(client, p.id)), ['20260101210000', '20260101220000', '20260101230000', '20260102000000'], 'the run just started pushes nothing out yet')
  clock.advance(3000)
  const kept = await policyBackups(client, p.id)
  t.same(hours(kept), ['20260101220000', '20260101230000', '20260102000000'], 'once it completes, the three newest runs remain')
  t.ok((await client.call('ListBackups', { service_id: SVC })).backups.some((b) => b.name === 'manual'), 'manual backups are never pruned')

  // A restore from a policy backup: `*` covers any collection.
  const job = await client.call('RestoreBackup', { service_id: SVC, organization_id: ORG_ID, backup_name: kept[0]?.name ?? '', db_name: 'db', collection_names: ['anything'] })
  t.equal(job.status, 'PENDING')
})

t.test('an inactive policy does not fire; activating it does', async (t) => {
  const { client, clock } = await harness(t)
  const p = await client.call('CreateBackupPolicy', policyReq('*/10 * * * *', 5, false))
  clock.advance(DAY)
  t.same(await policyBackups(client, p.id), [], 'a day of an inactive policy: nothing')
  await client.call('UpdateBackupPolicy', { service_id: SVC, policy_id: p.id, schedule_cron: '*/10 * * * *', retention_count: 5, is_active: true })
  clock.advance(10 * 60_000)
  t.equal((await policyBackups(client, p.id)).length, 1, 'active again: fires on schedule')
  await client.call('UpdateBackupPolicy', { service_id: SVC, policy_id: p.id, schedule_cron: '*/10 * * * *', retention_count: 5, is_active: false })
  clock.advance(HOUR)
  t.equal((await policyBackups(client, p.id)).length, 1, 'deactivated: stops')
})

t.test('an update changes the schedule at once', async (t) => {
  const { client, clock } = await harness(t)
  const p = await client.call('CreateBackupPolicy', policyReq('0 0 * * *', 10))
  clock.advance(HOUR)
  await client.call('UpdateBackupPolicy', { service_id: SVC, policy_id: p.id, schedule_cron: '*/15 * * * *', retention_count: 10 })
  clock.advance(HOUR)
  const names = (await policyBackups(client, p.id)).map((b) => b.name.slice(9))
  t.same(names, ['20260101011500', '20260101013000', '20260101014500', '20260101020000'], 'every 15 minutes from the update on, not from the next midnight')
})

t.test('deleting a policy stops it', async (t) => {
  const { client, clock } = await harness(t)
  const p = await client.call('CreateBackupPolicy', policyReq('*/5 * * * *', 100))
  clock.advance(10 * 60_000)
  t.equal((await policyBackups(client, p.id)).length, 2)
  await client.call('DeleteBackupPolicy', { service_id: SVC, policy_id: p.id })
  clock.advance(DAY)
  t.equal((await policyBackups(client, p.id)).length, 2, 'no run after the delete; its backups stay')
})

t.test('a policy run that fails is a FAILED backup, and the schedule goes on', async (t) => {
  const { client, clock, sim } = await harness(t)
  const p = await client.call('CreateBackupPolicy', policyReq('0 * * * *', 5))
  sim.faults.failNextJob('quota exceeded')
  clock.advance(2 * HOUR + 3000)
  const [a, b] = await policyBackups(client, p.id)
  t.match(a, { status: 'FAILED', error_message: 'quota exceeded' })
  t.match(b, { status: 'COMPLETED' })
})

t.test('a policy backup never takes a name already in use', async (t) => {
  const { client, clock } = await harness(t)
  const p = await client.call('CreateBackupPolicy', policyReq('0 * * * *', 5))
  const taken = `${p.id.slice(0, 8)}-20260101010000`
  await client.call('CreateBackup', { service_id: SVC, organization_id: ORG_ID, db_name: 'db', collection_names: ['a'], backup_name: taken })
  clock.advance(HOUR)
  t.same((await policyBackups(client, p.id)).map((b) => b.name), [`${taken}-2`])
})
