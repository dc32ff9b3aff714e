import t from 'tap'
import { DEMO_ORG_ID } from '../../src/simulator/index.js'
import type { SimMethod } from '../../src/simulator/methods.js'
import { grpc, harness, rejects, type Input } from './client.js'

const POLICY = 'b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d'
const backup: Input<'CreateBackup'> = { service_id: 'svc-1', organization_id: DEMO_ORG_ID, db_name: 'db', collection_names: ['docs'] }
const restore: Input<'RestoreBackup'> = { service_id: 'svc-1', organization_id: DEMO_ORG_ID, backup_name: 'b', db_name: 'db', collection_names: ['docs'] }
const policy: Input<'CreateBackupPolicy'> = { service_id: 'svc-1', organization_id: DEMO_ORG_ID, schedule_cron: '0 0 * * *', retention_count: 7 }
const update: Input<'UpdateBackupPolicy'> = { service_id: 'svc-1', policy_id: POLICY, schedule_cron: '0 0 * * *', retention_count: 7 }

interface Case { method: SimMethod, request: object, field: RegExp, why: string }
const c = <M extends SimMethod>(method: M, request: Input<M>, field: RegExp, why: string): Case => ({ method, request, field, why })

/** Each rule of the reference's tables, one bad request each. */
const CASES: Case[] = [
  c('CreateBackup', { ...backup, service_id: '' }, /^service_id is required/, 'service_id missing'),
  c('CreateBackup', { ...backup, organization_id: '' }, /^organization_id is required/, 'organization_id missing'),
  c('CreateBackup', { ...backup, organization_id: 'acme' }, /^organization_id must be a UUID/, 'organization_id not a UUID'),
  c('CreateBackup', { ...backup, db_name: '' }, /^db_name is required/, 'db_name missing'),
  c('CreateBackup', { ...backup, collection_names: [] }, /^collection_names must name at least one/, 'no collections'),
  c('CreateBackup', { ...backup, collection_names: ['docs', ' '] }, /^collection_names\[1\] must not be empty/, 'an empty collection name'),
  c('CreateBackup', { ...backup, backup_name: '' }, /^backup_name must not be empty/, 'backup_name present but empty'),
  c('ListBackups', { service_id: '' }, /^service_id is required/, 'service_id missing'),
  c('ListBackupByOrg', { organization_id: '' }, /^organization_id is required/, 'organization_id missing'),
  c('ListBackupByOrg', { organization_id: '1234' }, /^organization_id must be a UUID/, 'organization_id not a UUID'),
  c('RestoreBackup', { ...restore, service_id: '' }, /^service_id is required/, 'service_id missing'),
  c('RestoreBackup', { ...restore, organization_id: '' }, /^organization_id is required/, 'organization_id missing'),
  c('RestoreBackup', { ...restore, organization_id: 'x' }, /^organization_id must be a UUID/, 'organization_id not a UUID'),
  c('RestoreBackup', { ...restore, backup_name: '' }, /^backup_name is required/, 'backup_name missing'),
  c('RestoreBackup', { ...restore, db_name: '' }, /^db_name is required/, 'db_name missing'),
  c('RestoreBackup', { ...restore, collection_names: [] }, /^collection_names must name at least one/, 'no collections'),
  c('RestoreBackup', { ...restore, collection_names: [''] }, /^collection_names\[0\] must not be empty/, 'an empty collection name'),
  c('DeleteBackup', { service_id: '', backup_name: 'b' }, /^service_id is required/, 'service_id missing'),
  c('DeleteBackup', { service_id: 'svc-1', backup_name: '' }, /^backup_name is required/, 'backup_name missing'),
  c('CreateBackupPolicy', { ...policy, service_id: '' }, /^service_id is required/, 'service_id missing'),
  c('CreateBackupPolicy', { ...policy, organization_id: '' }, /^organization_id is required/, 'organization_id missing'),
  c('CreateBackupPolicy', { ...policy, organization_id: 'nope' }, /^organization_id must be a UUID/, 'organization_id not a UUID'),
  c('CreateBackupPolicy', { ...policy, schedule_cron: '' }, /^schedule_cron is required/, 'schedule_cron missing'),
  c('CreateBackupPolicy', { ...policy, schedule_cron: 'every day' }, /^schedule_cron must be a five-field cron/, 'schedule_cron not cron'),
  c('CreateBackupPolicy', { ...policy, schedule_cron: '0 0 0 * * *' }, /^schedule_cron must be a five-field cron.*6/, 'six fields (seconds)'),
  c('CreateBackupPolicy', { ...policy, schedule_cron: '* * * * * *' }, /^schedule_cron must be a five-field cron/, 'six wildcards'),
  c('CreateBackupPolicy', { ...policy, schedule_cron: '@daily' }, /^schedule_cron must be a five-field cron/, 'a nickname'),
  c('CreateBackupPolicy', { ...policy, schedule_cron: '61 * * * *' }, /^schedule_cron must be a five-field cron.*minute/, 'minute out of range'),
  c('CreateBackupPolicy', { ...policy, schedule_cron: '0 0 * *' }, /^schedule_cron must be a five-field cron/, 'four fields'),
  c('CreateBackupPolicy', { ...policy, schedule_cron: '0 0 L * *' }, /^schedule_cron must be a five-field cron.*day-of-month "L" is not classic cron/, "croner's last day of month"),
  c('CreateBackupPolicy', { ...policy, schedule_cron: '0 0 29 2 +0#5' }, /^schedule_cron must be a five-field cron.*day-of-week "\+0#5" is not classic cron/, "croner's AND-ed nth weekday"),
  c('CreateBackupPolicy', { ...policy, schedule_cron: '0 0 31 2 *' }, /^schedule_cron never fires: no date matches/, 'a cron no date matches, as the gateway refuses it'),
  c('UpdateBackupPolicy', { ...update, schedule_cron: '0 0 30 2 *' }, /^schedule_cron never fires/, 'nor on update'),
  c('CreateBackupPolicy', { ...policy, retention_count: 0 }, /^retention_count must be at least 1/, 'retention 0 (or missing)'),
  c('CreateBackupPolicy', { ...policy, retention_count: -3 }, /^retention_count must be at least 1/, 'negative retention'),
  c('UpdateBackupPolicy', { ...update, service_id: '' }, /^service_id is required/, 'service_id missing'),
  c('UpdateBackupPolicy', { ...update, policy_id: '' }, /^policy_id is required/, 'policy_id missing'),
  c('UpdateBackupPolicy', { ...update, policy_id: 'policy-1' }, /^policy_id must be a UUID/, 'policy_id not a UUID'),
  c('UpdateBackupPolicy', { ...update, organization_id: 'acme' }, /^organization_id must be a UUID/, 'organization_id given, not a UUID'),
  c('UpdateBackupPolicy', { ...update, schedule_cron: '' }, /^schedule_cron is required/, 'schedule_cron missing'),
  c('UpdateBackupPolicy', { ...update, schedule_cron: '*/5 * * * * *' }, /^schedule_cron must be a five-field cron/, 'six fields'),
  c('UpdateBackupPolicy', { ...update, retention_count: 0 }, /^retention_count must be at least 1/, 'retention 0 (or missing)'),
  c('DeleteBackupPolicy', { service_id: '', policy_id: POLICY }, /^service_id is required/, 'service_id missing'),
  c('DeleteBackupPolicy', { service_id: 'svc-1', policy_id: '' }, /^policy_id is required/, 'policy_id missing'),
  c('DeleteBackupPolicy', { service_id: 'svc-1', policy_id: 'abc' }, /^policy_id must be a UUID/, 'policy_id not a UUID'),
  c('ListBackupPolicies', { service_id: '' }, /^service_id is required/, 'service_id missing')
]

t.test('each bad request is INVALID_ARGUMENT naming the field', async (t) => {
  const { client } = await harness(t)
  for (const { method, request, field, why } of CASES) {
    await rejects(t, client.call(method, request as never), grpc.status.INVALID_ARGUMENT, field, `${method}: ${why}`)
  }
})

t.test('the valid base requests pass validation', async (t) => {
  const { client } = await harness(t)
  t.equal((await client.call('CreateBackup', { ...backup, backup_name: 'b' })).name, 'b')
  const made = await client.call('CreateBackupPolicy', policy)
  t.equal(made.retention_count, 7)
  // Past validation these fail on existence, not on input.
  await rejects(t, client.call('RestoreBackup', restore), grpc.status.FAILED_PRECONDITION, undefined, 'restore of a pending backup')
  await rejects(t, client.call('UpdateBackupPolicy', update), grpc.status.NOT_FOUND, undefined, 'update of an unknown policy')
  await rejects(t, client.call('DeleteBackupPolicy', { service_id: 'svc-1', policy_id: POLICY }), grpc.status.NOT_FOUND, undefined, 'delete of an unknown policy')
  const updated = await client.call('UpdateBackupPolicy', { ...update, policy_id: made.id.toUpperCase(), organization_id: '' })
  t.equal(updated.id, made.id, 'policy ids compare case-insensitively; an empty optional organization_id counts as omitted')
  for (const cron of ['*/15 * * * *', '0 2 * * 1-5', '30 4 1 * *', '0 0 * * MON', '0 0 1 JAN-JUN/3 *']) {
    const p = await client.call('CreateBackupPolicy', { ...policy, schedule_cron: cron })
    t.equal(p.schedule_cron, cron, `accepts ${cron}`)
  }
})

t.test('validation comes before ownership and does not bind a service', async (t) => {
  const OTHER = '99999999-9999-4999-8999-999999999999'
  const { clientFor } = await harness(t, { tokens: `tok-a=${DEMO_ORG_ID},tok-b=${OTHER}` })
  const a = clientFor('tok-a')
  const b = clientFor('tok-b')
  await rejects(t, b.call('CreateBackup', { ...backup, db_name: '' }), grpc.status.INVALID_ARGUMENT, /^db_name/, 'another org, bad input')
  await rejects(t, a.call('CreateBackup', { ...backup, service_id: 'svc-new', collection_names: [] }), grpc.status.INVALID_ARGUMENT, undefined, 'a refused write')
  const made = await b.call('CreateBackup', { ...backup, service_id: 'svc-new', organization_id: OTHER })
  t.equal(made.organization_id, OTHER, 'the refused write did not bind svc-new to the first organization')
})
