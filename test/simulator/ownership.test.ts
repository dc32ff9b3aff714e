import t from 'tap'
import { grpc, harness, rejects, type Harness, type TestClient, type TestLike } from './client.js'

const ORG_A = '11111111-1111-4111-8111-111111111111'
const ORG_B = '22222222-2222-4222-8222-222222222222'
const TOKENS = `tok-a=${ORG_A},tok-b=${ORG_B}`

async function twoOrgs (t: TestLike): Promise<Harness & { a: TestClient, b: TestClient }> {
  const h = await harness(t, { tokens: TOKENS })
  return { ...h, a: h.clientFor('tok-a'), b: h.clientFor('tok-b') }
}

t.test('a request for another organization is PERMISSION_DENIED', async (t) => {
  const { a } = await twoOrgs(t)
  await rejects(t, a.call('CreateBackup', { service_id: 'svc-x', organization_id: ORG_B, db_name: 'db', collection_names: ['c'] }), grpc.status.PERMISSION_DENIED, /organization_id/, 'CreateBackup')
  await rejects(t, a.call('CreateBackupPolicy', { service_id: 'svc-x', organization_id: ORG_B, schedule_cron: '0 0 * * *', retention_count: 1 }), grpc.status.PERMISSION_DENIED, /organization_id/, 'CreateBackupPolicy')
  await rejects(t, a.call('RestoreBackup', { service_id: 'svc-x', organization_id: ORG_B, backup_name: 'b', db_name: 'db', collection_names: ['c'] }), grpc.status.PERMISSION_DENIED, /organization_id/, 'RestoreBackup')
  await rejects(t, a.call('ListBackupByOrg', { organization_id: ORG_B }), grpc.status.PERMISSION_DENIED, /organization_id/, 'ListBackupByOrg')
  const mine = await a.call('ListBackupByOrg', { organization_id: ORG_A.toUpperCase() })
  t.same(mine.backups, [], 'the own organization, in any case, is fine')
})

t.test('a write binds the service; the other organization is refused on reads and writes', async (t) => {
  const { a, b, clock } = await twoOrgs(t)
  await a.call('CreateBackup', { service_id: 'svc-x', organization_id: ORG_A, db_name: 'db', collection_names: ['c'], backup_name: 'first' })
  const policy = await a.call('CreateBackupPolicy', { service_id: 'svc-x', organization_id: ORG_A, schedule_cron: '0 0 * * *', retention_count: 2 })
  clock.advance(3000)
  const denied = grpc.status.PERMISSION_DENIED
  const other = /service svc-x belongs to another organization/
  await rejects(t, b.call('ListBackups', { service_id: 'svc-x' }), denied, other, 'ListBackups')
  await rejects(t, b.call('ListBackupPolicies', { service_id: 'svc-x' }), denied, other, 'ListBackupPolicies')
  await rejects(t, b.call('CreateBackup', { service_id: 'svc-x', organization_id: ORG_B, db_name: 'db', collection_names: ['c'] }), denied, other, 'CreateBackup')
  await rejects(t, b.call('RestoreBackup', { service_id: 'svc-x', organization_id: ORG_B, backup_name: 'first', db_name: 'db', collection_names: ['c'] }), denied, other, 'RestoreBackup')
  await rejects(t, b.call('DeleteBackup', { service_id: 'svc-x', backup_name: 'first' }), denied, other, 'DeleteBackup')
  await rejects(t, b.call('CreateBackupPolicy', { service_id: 'svc-x', organization_id: ORG_B, schedule_cron: '0 0 * * *', retention_count: 1 }), denied, other, 'CreateBackupPolicy')
  await rejects(t, b.call('UpdateBackupPolicy', { service_id: 'svc-x', policy_id: policy.id, schedule_cron: '0 1 * * *', retention_count: 1 }), denied, other, 'UpdateBackupPolicy without organization_id')
  await rejects(t, b.call('DeleteBackupPolicy', { service_id: 'svc-x', policy_id: policy.id }), denied, other, 'DeleteBackupPolicy')
  await rejects(t, a.call('UpdateBackupPolicy', { service_id: 'svc-x', policy_id: policy.id, organization_id: ORG_B, schedule_cron: '0 1 * * *', retention_count: 1 }), denied, /organization_id/, 'UpdateBackupPolicy naming another organization')

  // Ownership is judged before existence: nothing leaks about what exists.
  await rejects(t, b.call('DeleteBackup', { service_id: 'svc-x', backup_name: 'no-such-backup' }), denied, undefined, 'unknown backup in a foreign service')
  await rejects(t, b.call('DeleteBackupPolicy', { service_id: 'svc-x', policy_id: ORG_B }), denied, undefined, 'unknown policy in a foreign service')

  const still = await a.call('ListBackups', { service_id: 'svc-x' })
  t.same(still.backups.map((x) => x.name), ['first'], 'the owner still sees its backup')
  t.equal((await a.call('ListBackupPolicies', { service_id: 'svc-x' })).policies.length, 1, 'and its policy')
})

t.test('a policy binds its service too', async (t) => {
  const { a, b } = await twoOrgs(t)
  await a.call('CreateBackupPolicy', { service_id: 'svc-p', organization_id: ORG_A, schedule_cron: '0 0 * * *', retention_count: 1 })
  await rejects(t, b.call('ListBackups', { service_id: 'svc-p' }), grpc.status.PERMISSION_DENIED, undefined, 'ListBackups')
})

t.test('a service never written lists empty, for anyone', async (t) => {
  const { a, b } = await twoOrgs(t)
  t.same((await a.call('ListBackups', { service_id: 'svc-unseen' })).backups, [])
  t.same((await b.call('ListBackupPolicies', { service_id: 'svc-unseen' })).policies, [])
  await rejects(t, a.call('DeleteBackup', { service_id: 'svc-unseen', backup_name: 'b' }), grpc.status.NOT_FOUND, /backup b not found/, 'DeleteBackup on an unseen service')
  await rejects(t, a.call('RestoreBackup', { service_id: 'svc-unseen', organization_id: ORG_A, backup_name: 'b', db_name: 'db', collection_names: ['c'] }), grpc.status.NOT_FOUND, undefined, 'RestoreBackup on an unseen service')
  t.same((await b.call('ListBackups', { service_id: 'svc-unseen' })).backups, [], 'reads and failed writes do not bind')
})

t.test('ListBackupByOrg holds exactly the organization’s services', async (t) => {
  const { a, b } = await twoOrgs(t)
  await a.call('CreateBackup', { service_id: 'svc-a1', organization_id: ORG_A, db_name: 'db', collection_names: ['c'], backup_name: 'a1' })
  await a.call('CreateBackup', { service_id: 'svc-a2', organization_id: ORG_A, db_name: 'db', collection_names: ['c'], backup_name: 'a2' })
  await b.call('CreateBackup', { service_id: 'svc-b1', organization_id: ORG_B, db_name: 'db', collection_names: ['c'], backup_name: 'b1' })
  t.same((await a.call('ListBackupByOrg', { organization_id: ORG_A })).backups.map((x) => x.name).sort(), ['a1', 'a2'])
  t.same((await b.call('ListBackupByOrg', { organization_id: ORG_B })).backups.map((x) => x.name), ['b1'])
})
