import { HealthImplementation } from 'grpc-health-check'
import { Cron } from 'croner'
import { contract } from '../src/upstream/contract.js'
console.log(typeof HealthImplementation)
const d = contract.serviceDefinition
const enc = d.UpdateBackupPolicy.requestSerialize({ service_id: 's', policy_id: 'p', schedule_cron: '* * * * *', retention_count: 1 })
console.log(d.UpdateBackupPolicy.requestDeserialize(enc))
const enc2 = d.UpdateBackupPolicy.requestSerialize({ service_id: 's', policy_id: 'p', organization_id: '', is_active: false })
console.log(d.UpdateBackupPolicy.requestDeserialize(enc2))
console.log(d.CreateBackup.requestDeserialize(d.CreateBackup.requestSerialize({})))
for (const e of ['0 * * * *', '0 0 * * *', '* * * * * *', '0 0 0 * * *', 'bogus', '61 * * * *', '@daily', '0 0 * * * 2020', '*/5 * * * *', '0 0 L * *', '', '0 0 * *']) {
  try { const c = new Cron(e, { timezone: 'UTC', paused: true }); console.log(JSON.stringify(e), 'ok', c.nextRun(new Date('2026-01-01T00:30:00Z'))?.toISOString(), e.trim().split(/\s+/).length) } catch (err) { console.log(JSON.stringify(e), 'ERR', (err as Error).message) }
}
const r = d.ListBackups.responseDeserialize(d.ListBackups.responseSerialize({ backups: [{ name: 'x', size_bytes: '123', created_at: { seconds: '5', nanos: 0 } }] }))
console.log(JSON.stringify(r))
