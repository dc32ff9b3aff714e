import t from 'tap'
import { DEMO_ORG_ID as ORG_ID } from '../../src/simulator/index.js'
import { grpc, harness, rejects } from './client.js'

const SVC = 'svc-rst'
const HOUR = 3_600_000
const JOB = 3000 // the harness' job time

t.test('a backup a restore is reading cannot be deleted until the restore ends', async (t) => {
  const { client, clock, sim } = await harness(t)
  const base = { service_id: SVC, organization_id: ORG_ID, db_name: 'db', collection_names: ['docs'] }
  await client.call('CreateBackup', { ...base, backup_name: 'b1' })
  await client.call('CreateBackup', { ...base, backup_name: 'b2' })
  clock.advance(JOB)
  const job = await client.call('RestoreBackup', { ...base, backup_name: 'b1' })
  const refused = new RegExp(`backup b1 is being read by restore job ${job.id} \\(PENDING\\)`)
  await rejects(t, client.call('DeleteBackup', { service_id: SVC, backup_name: 'b1' }), grpc.status.FAILED_PRECONDITION, refused, 'delete during a pending restore')
  clock.advance(JOB / 2)
  await rejects(t, client.call('DeleteBackup', { service_id: SVC, backup_name: 'b1' }), grpc.status.FAILED_PRECONDITION, /\(RUNNING\): it can be deleted once that restore has ended/, 'delete during a running restore')
  t.match((await client.call('DeleteBackup', { service_id: SVC, backup_name: 'b2' })).backup, { name: 'b2' }, 'another backup of the service is not held')
  clock.advance(JOB / 2)
  t.match(sim.restoreJobs(), [{ id: job.id, status: 'COMPLETED' }], 'the restore completed from its artifact')
  t.match((await client.call('DeleteBackup', { service_id: SVC, backup_name: 'b1' })).backup, { name: 'b1', status: 'COMPLETED' }, 'deleted once the restore ended')

  // A restore that fails lets go of its backup too.
  await client.call('CreateBackup', { ...base, backup_name: 'b3' })
  clock.advance(JOB)
  sim.faults.failNextJob('target database locked')
  await client.call('RestoreBackup', { ...base, backup_name: 'b3' })
  clock.advance(JOB)
  t.match(sim.restoreJobs()[1], { status: 'FAILED', error_message: 'target database locked' })
  t.match((await client.call('DeleteBackup', { service_id: SVC, backup_name: 'b3' })).backup, { name: 'b3' }, 'deleted after a failed restore')
})

t.test('retention skips a backup a restore is reading and prunes it when the restore ends', async (t) => {
  const { client, clock, sim } = await harness(t)
  const p = await client.call('CreateBackupPolicy', { service_id: SVC, organization_id: ORG_ID, schedule_cron: '0 * * * *', retention_count: 1 })
  const names = async (): Promise<string[]> => (await client.call('ListBackups', { service_id: SVC })).backups.map((b) => `${b.name.slice(17, 19)} ${b.status}`)
  clock.advance(2 * HOUR + 1000) // 01:00 completed; the 02:00 run is PENDING, ends at 02:00:03
  const job = await client.call('RestoreBackup', { service_id: SVC, organization_id: ORG_ID, backup_name: `${p.id.slice(0, 8)}-20260101010000`, db_name: 'db', collection_names: ['docs'] })
  clock.advance(JOB - 1000)
  t.same(await names(), ['01 COMPLETED', '02 COMPLETED'], 'the 02:00 run completed; the 01:00 backup it pushes out is being restored, so it stays')
  clock.advance(1000)
  t.match(sim.restoreJobs(), [{ id: job.id, status: 'COMPLETED' }], 'the restore completed from an artifact that was there throughout')
  t.same(await names(), ['02 COMPLETED'], 'then the 01:00 backup goes')
})
