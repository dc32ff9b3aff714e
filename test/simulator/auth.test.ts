import t from 'tap'
import { parseTokens } from '../../src/simulator/auth.js'
import { DEMO_ORG_ID, DEV_TOKEN, startSimulator } from '../../src/simulator/index.js'
import type { SimMethod } from '../../src/simulator/methods.js'
import { grpc, harness, rejects, type Input } from './client.js'

const ORG_A = '11111111-1111-4111-8111-111111111111'
const ORG_B = '22222222-2222-4222-8222-222222222222'

/** A valid request for every method, so only auth can fail. */
const VALID: { [M in SimMethod]: Input<M> } = {
  CreateBackup: { service_id: 'svc-1', organization_id: DEMO_ORG_ID, db_name: 'db', collection_names: ['docs'] },
  ListBackups: { service_id: 'svc-1' },
  ListBackupByOrg: { organization_id: DEMO_ORG_ID },
  RestoreBackup: { service_id: 'svc-1', organization_id: DEMO_ORG_ID, backup_name: 'b', db_name: 'db', collection_names: ['docs'] },
  DeleteBackup: { service_id: 'svc-1', backup_name: 'b' },
  CreateBackupPolicy: { service_id: 'svc-1', organization_id: DEMO_ORG_ID, schedule_cron: '0 0 * * *', retention_count: 7 },
  UpdateBackupPolicy: { service_id: 'svc-1', policy_id: ORG_A, schedule_cron: '0 0 * * *', retention_count: 7 },
  DeleteBackupPolicy: { service_id: 'svc-1', policy_id: ORG_A },
  ListBackupPolicies: { service_id: 'svc-1' }
}

t.test('every method needs a bearer token', async (t) => {
  const { client, sim } = await harness(t)
  for (const method of Object.keys(VALID) as SimMethod[]) {
    await rejects(t, client.call(method, VALID[method] as never, { token: null }), grpc.status.UNAUTHENTICATED, /authorization/, `${method} without a token`)
  }
  t.equal(sim.callCount(), 9, 'each refused call was still recorded')
})

t.test('bad schemes and unknown tokens are UNAUTHENTICATED, without echoing the token', async (t) => {
  const { client } = await harness(t)
  const list = VALID.ListBackups
  await rejects(t, client.call('ListBackups', list, { authorization: `Basic ${DEV_TOKEN}` }), grpc.status.UNAUTHENTICATED, /Bearer/, 'Basic scheme')
  await rejects(t, client.call('ListBackups', list, { authorization: DEV_TOKEN }), grpc.status.UNAUTHENTICATED, /Bearer/, 'no scheme')
  await rejects(t, client.call('ListBackups', list, { authorization: 'Bearer' }), grpc.status.UNAUTHENTICATED, /Bearer/, 'scheme without token')
  const err = await rejects(t, client.call('ListBackups', list, { token: 'not-a-known-token-xyz' }), grpc.status.UNAUTHENTICATED, /invalid bearer token/, 'unknown token')
  t.notMatch(err?.details ?? '', /not-a-known-token-xyz/, 'the token is not echoed')
  const ok = await client.call('ListBackups', list, { authorization: `bearer ${DEV_TOKEN}` })
  t.same(ok.backups, [], 'the scheme is case-insensitive')
})

t.test('auth is judged before validation', async (t) => {
  const { client } = await harness(t)
  await rejects(t, client.call('CreateBackup', { service_id: '' }, { token: null }), grpc.status.UNAUTHENTICATED, undefined, 'invalid request without token')
  await rejects(t, client.call('CreateBackup', { service_id: '' }), grpc.status.INVALID_ARGUMENT, /service_id/, 'same request with a token')
})

t.test('without tokens, the dev token stands for the demo organization', async (t) => {
  const { client } = await harness(t, { tokens: '' })
  const backup = await client.call('CreateBackup', VALID.CreateBackup)
  t.equal(backup.organization_id, DEMO_ORG_ID)
})

t.test('SIM_TOKENS maps each token to its organization; the dev token is then refused', async (t) => {
  const { clientFor } = await harness(t, { tokens: `tok-a=${ORG_A}, tok-b=${ORG_B}` })
  const a = clientFor('tok-a')
  const b = clientFor('tok-b')
  const made = await a.call('CreateBackup', { ...VALID.CreateBackup, organization_id: ORG_A })
  t.equal(made.organization_id, ORG_A)
  const listed = await b.call('ListBackupByOrg', { organization_id: ORG_B })
  t.same(listed.backups, [], 'tok-b is organization B')
  await rejects(t, clientFor(DEV_TOKEN).call('ListBackups', VALID.ListBackups), grpc.status.UNAUTHENTICATED, undefined, 'dev token')
})

t.test('parseTokens', async (t) => {
  t.same([...parseTokens(undefined)], [[DEV_TOKEN, DEMO_ORG_ID]], 'undefined: dev token')
  t.same([...parseTokens('  ')], [[DEV_TOKEN, DEMO_ORG_ID]], 'blank: dev token')
  t.same([...parseTokens(`a=${ORG_A},b=${ORG_B.toUpperCase()}`)], [['a', ORG_A], ['b', ORG_B]], 'pairs, organizations lowercased')
  for (const bad of ['secret-token', `=${ORG_A}`, 'secret-token=not-a-uuid', `secret-token=${ORG_A},secret-token=${ORG_B}`]) {
    const what = bad.replaceAll('secret-token', '<token>')
    const err = t.throws(() => parseTokens(bad), { code: 'VBGW_INVALID_CONFIG', message: /SIM_TOKENS entry/ }, `rejects ${what}`) as Error
    t.notMatch(err.message, /secret-token/, `${what}: the message does not name the token`)
  }
  await t.rejects(startSimulator({ tokens: 'nonsense' }), { code: 'VBGW_INVALID_CONFIG' }, 'startSimulator refuses bad tokens')
})
