import t from 'tap'
import { DEMO_ORG_ID as ORG_ID, startSimulator } from '../../src/simulator/index.js'
import { FAKE_EPOCH, FakeClock } from '../helpers/clock.js'
import { grpc, harness, rejects, TestClient } from './client.js'

const SVC = 'svc-ref'
const seconds = (ms: number): string => String(Math.floor(ms / 1000))

t.test('the reference examples, sent as written, succeed', async (t) => {
  const { client, clock } = await harness(t)
  // Bodies exactly as the reference gives them (snake_case), with its placeholders filled.
  const created = await client.call('CreateBackup', JSON.parse(`{
    "service_id":"${SVC}",
    "organization_id":"${ORG_ID}",
    "db_name":"main",
    "collection_names":["docs"],
    "backup_name":"docs-backup-001"
  }`))
  t.match(created, { name: 'docs-backup-001', service_id: SVC, organization_id: ORG_ID, db_name: 'main', collection_names: ['docs'], status: 'PENDING', error_message: '' })
  const listed = await client.call('ListBackups', JSON.parse(`{"service_id":"${SVC}"}`))
  t.same(listed.backups.map((b) => b.name), ['docs-backup-001'])
  clock.advance(3000)
  const restore = await client.call('RestoreBackup', JSON.parse(`{
    "service_id":"${SVC}",
    "organization_id":"${ORG_ID}",
    "backup_name":"docs-backup-001",
    "db_name":"main",
    "collection_names":["docs"]
  }`))
  t.match(restore, { service_id: SVC, organization_id: ORG_ID, backup_name: 'docs-backup-001', db_name: 'main', collection_names: ['docs'], status: 'PENDING' })
  t.match(restore.id, /^[0-9a-f-]{36}$/, 'a restore job gets a UUID')
  const policy = await client.call('CreateBackupPolicy', JSON.parse(`{
    "service_id":"${SVC}",
    "organization_id":"${ORG_ID}",
    "schedule_cron":"0 0 * * *",
    "retention_count":7
  }`))
  t.match(policy, { service_id: SVC, organization_id: ORG_ID, schedule_cron: '0 0 * * *', retention_count: 7, is_active: true })
})

t.test('a job moves PENDING -> RUNNING -> COMPLETED on the clock', async (t) => {
  const { client, clock } = await harness(t)
  const b = await client.call('CreateBackup', { service_id: SVC, organization_id: ORG_ID, db_name: 'db', collection_names: ['a', 'b'], backup_name: 'job-1' })
  t.match(b, { status: 'PENDING', completed_at: null, size_bytes: '0', created_at: { seconds: seconds(FAKE_EPOCH), nanos: 0 } })
  t.notOk('policy_id' in b, 'a manual backup has no policy_id')
  const status = async (): Promise<string> => (await client.call('ListBackups', { service_id: SVC })).backups[0]?.status ?? 'gone'
  clock.advance(1499)
  t.equal(await status(), 'PENDING', 'just before half time')
  clock.advance(1)
  t.equal(await status(), 'RUNNING', 'at half time')
  clock.advance(1499)
  t.equal(await status(), 'RUNNING', 'just before the end')
  clock.advance(1)
  const [done] = (await client.call('ListBackups', { service_id: SVC })).backups
  t.match(done, { status: 'COMPLETED', completed_at: { seconds: seconds(FAKE_EPOCH + 3000), nanos: 0 }, error_message: '' })
  t.ok(Number(done?.size_bytes) > 1024 * 1024, 'a completed backup has a plausible size')

  // The size is a function of the backup: another simulator gives the same.
  const clock2 = new FakeClock()
  const sim2 = await startSimulator({ seed: false, clock: clock2 })
  t.teardown(() => sim2.close())
  const c2 = new TestClient(sim2.address)
  t.teardown(() => c2.close())
  await c2.call('CreateBackup', { service_id: SVC, organization_id: ORG_ID, db_name: 'db', collection_names: ['a', 'b'], backup_name: 'job-1' })
  clock2.advance(3000)
  t.equal((await c2.call('ListBackups', { service_id: SVC })).backups[0]?.size_bytes, done?.size_bytes, 'deterministic size')
})

t.test('jobMs sets the job time; 0 completes at creation', async (t) => {
  const { client, clock } = await harness(t, { jobMs: 10_000 })
  await client.call('CreateBackup', { service_id: SVC, organization_id: ORG_ID, db_name: 'db', collection_names: ['a'], backup_name: 'slow' })
  clock.advance(9_999)
  t.equal((await client.call('ListBackups', { service_id: SVC })).backups[0]?.status, 'RUNNING')
  clock.advance(1)
  t.equal((await client.call('ListBackups', { service_id: SVC })).backups[0]?.status, 'COMPLETED')
  const instant = await harness(t, { jobMs: 0 })
  const b = await instant.client.call('CreateBackup', { service_id: SVC, organization_id: ORG_ID, db_name: 'db', collection_names: ['a'] })
  t.equal(b.status, 'COMPLETED')
})

t.test('failJob and failNextJob end jobs FAILED with the message', async (t) => {
  const { client, clock, sim } = await harness(t)
  const req = { service_id: SVC, organization_id: ORG_ID, db_name: 'db', collection_names: ['a'] }
  await client.call('CreateBackup', { ...req, backup_name: 'doomed' })
  clock.advance(1500)
  sim.failJob(SVC, 'doomed', 'disk full')
  let [b] = (await client.call('ListBackups', { service_id: SVC })).backups
  t.match(b, { status: 'FAILED', error_message: 'disk full', size_bytes: '0', completed_at: { seconds: seconds(FAKE_EPOCH + 1500) } })
  clock.advance(10_000)
  ;[b] = (await client.call('ListBackups', { service_id: SVC })).backups
  t.equal(b?.status, 'FAILED', 'a failed job stays failed')
  t.throws(() => sim.failJob(SVC, 'no-such', 'x'), RangeError, 'failJob of an unknown backup throws')

  sim.faults.failNextJob('snapshot timed out')
  await client.call('CreateBackup', { ...req, backup_name: 'next-fails' })
  await client.call('CreateBackup', { ...req, backup_name: 'then-ok' })
  clock.advance(3000)
  const byName = Object.fromEntries((await client.call('ListBackups', { service_id: SVC })).backups.map((x) => [x.name, x]))
  t.match(byName['next-fails'], { status: 'FAILED', error_message: 'snapshot timed out' })
  t.match(byName['then-ok'], { status: 'COMPLETED', error_message: '' })
  await rejects(t, client.call('RestoreBackup', { ...req, backup_name: 'next-fails' }), grpc.status.FAILED_PRECONDITION, /FAILED/, 'restore of a failed backup')
})

t.test('backup names are unique per service; omitted names are generated', async (t) => {
  const { client } = await harness(t)
  const req = { service_id: SVC, organization_id: ORG_ID, db_name: 'db', collection_names: ['a'] }
  await client.call('CreateBackup', { ...req, backup_name: 'nightly' })
  await rejects(t, client.call('CreateBackup', { ...req, backup_name: 'nightly' }), grpc.status.ALREADY_EXISTS, /nightly already exists/, 'same name, same service')
  const elsewhere = await client.call('CreateBackup', { ...req, service_id: 'svc-other', backup_name: 'nightly' })
  t.equal(elsewhere.name, 'nightly', 'same name in another service is fine')
  const g1 = await client.call('CreateBackup', req)
  const g2 = await client.call('CreateBackup', req)
  t.match(g1.name, /^backup-20260101000000-[0-9a-f]{4}$/, 'backup-<yyyymmddhhmmss>-<4 hex>')
  t.not(g1.name, g2.name, 'generated names do not collide')
  t.equal((await client.call('ListBackups', { service_id: SVC })).backups.length, 3)
})

t.test('restore needs a COMPLETED backup holding the collections', async (t) => {
  const { client, clock, sim } = await harness(t)
  const base = { service_id: SVC, organization_id: ORG_ID, db_name: 'db' }
  await client.call('CreateBackup', { ...base, collection_names: ['docs', 'users'], backup_name: 'b1' })
  const restore = { ...base, backup_name: 'b1', collection_names: ['docs'] }
  await rejects(t, client.call('RestoreBackup', restore), grpc.status.FAILED_PRECONDITION, /backup b1 is PENDING: only a COMPLETED backup/, 'pending backup')
  clock.advance(1500)
  await rejects(t, client.call('RestoreBackup', restore), grpc.status.FAILED_PRECONDITION, /is RUNNING/, 'running backup')
  clock.advance(1500)
  await rejects(t, client.call('RestoreBackup', { ...restore, collection_names: ['docs', 'orders', 'items'] }), grpc.status.FAILED_PRECONDITION, /orders, items not in backup b1, which holds docs, users/, 'collections not in the backup')
  await rejects(t, client.call('RestoreBackup', { ...restore, backup_name: 'nope' }), grpc.status.NOT_FOUND, /backup nope not found in service svc-ref/, 'unknown backup')
  const job = await client.call('RestoreBackup', { ...restore, db_name: 'db-copy', collection_names: ['users', 'docs'] })
  t.match(job, { status: 'PENDING', db_name: 'db-copy', collection_names: ['users', 'docs'], completed_at: null })
  clock.advance(1500)
  t.equal(sim.restoreJobs()[0]?.status, 'RUNNING', 'restore jobs run like backups')
  clock.advance(1500)
  t.match(sim.restoreJobs()[0], { id: job.id, status: 'COMPLETED', completed_at: { seconds: seconds(FAKE_EPOCH + 6000) } })
})

t.test('delete returns the backup and it is gone', async (t) => {
  const { client, clock } = await harness(t)
  const req = { service_id: SVC, organization_id: ORG_ID, db_name: 'db', collection_names: ['a'] }
  await client.call('CreateBackup', { ...req, backup_name: 'keep' })
  await client.call('CreateBackup', { ...req, backup_name: 'drop' })
  clock.advance(1500)
  const pending = clock.pending
  const res = await client.call('DeleteBackup', { service_id: SVC, backup_name: 'drop' })
  t.match(res.backup, { name: 'drop', service_id: SVC, status: 'RUNNING' }, 'the deleted backup, as it was')
  t.equal(clock.pending, pending - 1, 'its job stopped')
  t.same((await client.call('ListBackups', { service_id: SVC })).backups.map((b) => b.name), ['keep'])
  t.same((await client.call('ListBackupByOrg', { organization_id: ORG_ID })).backups.map((b) => b.name), ['keep'])
  await rejects(t, client.call('DeleteBackup', { service_id: SVC, backup_name: 'drop' }), grpc.status.NOT_FOUND, /drop not found/, 'second delete')
  await client.call('CreateBackup', { ...req, backup_name: 'drop' })
  t.pass('the name is free again')
})
