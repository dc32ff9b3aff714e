import t from 'tap'
import { DEMO_ORG_ID as ORG_ID } from '../../src/simulator/index.js'
import { harness, type TestClient } from './client.js'

const SVC = 'svc-ret'
const HOUR = 3_600_000
const JOB = 3000 // the harness' job time

/** The policy's backups as `hh STATUS`, oldest first (runs are named <id8>-yyyymmddhhmmss). */
const runs = async (client: TestClient, policyId: string): Promise<string[]> =>
  (await client.call('ListBackups', { service_id: SVC })).backups
    .filter((b) => b.policy_id === policyId)
    .map((b) => `${b.name.slice(17, 19)} ${b.status}`)

t.test('retention keeps the newest COMPLETED backups: failed runs never push them out', async (t) => {
  const { client, clock, sim } = await harness(t)
  const p = await client.call('CreateBackupPolicy', { service_id: SVC, organization_id: ORG_ID, schedule_cron: '0 * * * *', retention_count: 2 })
  clock.advance(2 * HOUR + JOB)
  t.same(await runs(client, p.id), ['01 COMPLETED', '02 COMPLETED'])
  sim.faults.failNextJob('snapshot volume full')
  clock.advance(HOUR)
  sim.faults.failNextJob('snapshot volume full')
  clock.advance(HOUR)
  t.same(await runs(client, p.id), ['01 COMPLETED', '02 COMPLETED', '03 FAILED', '04 FAILED'], 'two failed runs: both good backups stay, the failures are shown')
  clock.advance(HOUR)
  t.same(await runs(client, p.id), ['02 COMPLETED', '03 FAILED', '04 FAILED', '05 COMPLETED'], 'a run that completes pushes out the oldest good backup')
  clock.advance(HOUR)
  t.same(await runs(client, p.id), ['05 COMPLETED', '06 COMPLETED'], 'failures older than every kept backup go')
})

t.test('retention_count 1: the only good backup stays until a newer one completes', async (t) => {
  const { client, clock, sim } = await harness(t)
  const p = await client.call('CreateBackupPolicy', { service_id: SVC, organization_id: ORG_ID, schedule_cron: '0 * * * *', retention_count: 1 })
  clock.advance(HOUR + JOB)
  t.same(await runs(client, p.id), ['01 COMPLETED'])
  clock.advance(HOUR - JOB)
  t.same(await runs(client, p.id), ['01 COMPLETED', '02 PENDING'], 'a run in flight does not count')
  clock.advance(JOB / 2)
  t.same(await runs(client, p.id), ['01 COMPLETED', '02 RUNNING'])
  sim.failJob(SVC, `${p.id.slice(0, 8)}-20260101020000`, 'disk full')
  t.same(await runs(client, p.id), ['01 COMPLETED', '02 FAILED'], 'the run failed: the good backup is still there to restore')
  sim.faults.failNextJob('disk full')
  clock.advance(HOUR + JOB / 2)
  t.same(await runs(client, p.id), ['01 COMPLETED', '03 FAILED'], 'a policy that keeps failing keeps retention_count failure records, the newest')
  clock.advance(HOUR)
  t.same(await runs(client, p.id), ['04 COMPLETED'], 'a newer backup completed: the old one and the failure go')
})

t.test('a lower retention_count applies when a run next ends; a deleted policy prunes nothing', async (t) => {
  const { client, clock } = await harness(t)
  const p = await client.call('CreateBackupPolicy', { service_id: SVC, organization_id: ORG_ID, schedule_cron: '0 * * * *', retention_count: 3 })
  clock.advance(3 * HOUR + JOB)
  await client.call('UpdateBackupPolicy', { service_id: SVC, policy_id: p.id, schedule_cron: '0 * * * *', retention_count: 1 })
  t.same(await runs(client, p.id), ['01 COMPLETED', '02 COMPLETED', '03 COMPLETED'], 'nothing pruned by the update itself')
  clock.advance(HOUR - JOB)
  t.same(await runs(client, p.id), ['01 COMPLETED', '02 COMPLETED', '03 COMPLETED', '04 PENDING'], 'nor by a run that starts')
  clock.advance(JOB)
  t.same(await runs(client, p.id), ['04 COMPLETED'])
  clock.advance(HOUR - JOB)
  await client.call('DeleteBackupPolicy', { service_id: SVC, policy_id: p.id })
  clock.advance(JOB)
  t.same(await runs(client, p.id), ['04 COMPLETED', '05 COMPLETED'], 'the run in flight when its policy was deleted ends, and prunes nothing')
})
