/**
 * The six mutations against the simulator over real gRPC: each one's happy
 * path (the affected object comes back, and what the payload's service
 * shows afterwards is fresh) and its main error, including input the
 * gateway rejects before any upstream call.
 */
import t, { type Test } from 'tap'
import { DEMO_ORG_ID, DEMO_POLICY_ID, DEMO_SERVICE_IDS } from '../../src/simulator/index.js'
import { buildTestApp } from '../helpers/app.js'
import { FakeClock } from '../helpers/clock.js'
import { codes, gql } from './helpers.js'

const [CATALOG, ANALYTICS, ARCHIVE] = DEMO_SERVICE_IDS
const UNKNOWN_POLICY = '00000000-0000-4000-8000-000000000000'

const CREATE_BACKUP = `mutation C($input: CreateBackupInput!) {
  createBackup(input: $input) {
    backup { name serviceId organizationId dbName collectionNames status sizeBytes completedAt }
    service { backups { totalCount } backup(name: "docs-backup-001") { status } }
  }
}`
const RESTORE = `mutation R($input: RestoreBackupInput!) {
  restoreBackup(input: $input) {
    restoreJob { id serviceId organizationId backupName dbName collectionNames status createdAt completedAt errorMessage backup { name status } }
    service { id }
  }
}`
const DELETE_BACKUP = `mutation D($input: DeleteBackupInput!) {
  deleteBackup(input: $input) { backup { name status } service { backups { totalCount } } }
}`
const CREATE_POLICY = `mutation CP($input: CreateBackupPolicyInput!) {
  createBackupPolicy(input: $input) {
    policy { id serviceId organizationId scheduleCron retentionCount isActive createdAt nextRuns(count: 2) }
    service { policies { id } }
  }
}`
const UPDATE_POLICY = `mutation UP($input: UpdateBackupPolicyInput!) {
  updateBackupPolicy(input: $input) { policy { id scheduleCron retentionCount isActive nextRuns } }
}`
const DELETE_POLICY = `mutation DP($input: DeleteBackupPolicyInput!) {
  deleteBackupPolicy(input: $input) { policy { id scheduleCron nextRuns } service { policies { id } } }
}`

t.test('mutations', async (t) => {
  const { app, sim } = await buildTestApp(t, { simulator: { clock: new FakeClock() } })

  /** Run a mutation expecting input errors only: no upstream call may happen. */
  async function rejected (t: Test, query: string, input: Record<string, unknown>): Promise<{ code: string | undefined, field: string | undefined, message: string | undefined }> {
    sim.resetCalls()
    const { status, body } = await gql(app, query, { variables: { input } })
    t.equal(status, 200)
    t.equal(sim.callCount(), 0, 'rejected before the upstream')
    t.same(Object.values(body.data ?? {}), [null])
    const error = body.errors?.[0]
    return { code: error?.extensions.code, field: error?.extensions.field, message: error?.message }
  }

  const backupInput = { serviceId: ARCHIVE, organizationId: DEMO_ORG_ID, dbName: 'archive', collectionNames: ['docs'], backupName: 'docs-backup-001' }

  t.test('createBackup returns the new job and a fresh view of the service', async (t) => {
    const { body } = await gql(app, CREATE_BACKUP, { variables: { input: backupInput } })
    t.notOk(body.errors)
    t.same(body.data.createBackup.backup, {
      name: 'docs-backup-001', serviceId: ARCHIVE, organizationId: DEMO_ORG_ID, dbName: 'archive', collectionNames: ['docs'], status: 'PENDING', sizeBytes: '0', completedAt: null
    })
    t.same(body.data.createBackup.service, { backups: { totalCount: 3 }, backup: { status: 'PENDING' } })
    t.equal((sim.calls.find((c) => c.method === 'CreateBackup')?.request as { backup_name?: string } | undefined)?.backup_name, 'docs-backup-001')

    const { body: generated } = await gql(app, CREATE_BACKUP, { variables: { input: { ...backupInput, backupName: null } } })
    t.match(generated.data.createBackup.backup.name, /\S/, 'a name is generated when omitted')
  })

  t.test('createBackup: main errors', async (t) => {
    const { body } = await gql(app, CREATE_BACKUP, { variables: { input: backupInput } })
    t.same(codes(body), ['ALREADY_EXISTS'])
    t.equal(body.errors?.[0]?.extensions.grpcStatus, 'ALREADY_EXISTS')
    t.same(body.data, { createBackup: null })

    t.same(await rejected(t, CREATE_BACKUP, { ...backupInput, collectionNames: [] }),
      { code: 'BAD_USER_INPUT', field: 'input.collectionNames', message: 'input.collectionNames must name at least one collection' })
    t.match(await rejected(t, CREATE_BACKUP, { ...backupInput, organizationId: 'acme' }), { code: 'BAD_USER_INPUT', field: 'input.organizationId' })
    t.match(await rejected(t, CREATE_BACKUP, { ...backupInput, collectionNames: ['docs', ' '] }), { field: 'input.collectionNames[1]' })
    t.match(await rejected(t, CREATE_BACKUP, { ...backupInput, dbName: '' }), { field: 'input.dbName' })
    // A lone surrogate: valid as a JSON escape, but no UTF-8 text; protobufjs would send U+FFFD in its place.
    t.match(await rejected(t, CREATE_BACKUP, { ...backupInput, backupName: 'x\ud800y' }), { code: 'BAD_USER_INPUT', field: 'input.backupName', message: /^input\.backupName must be well-formed Unicode/ })
  })

  t.test('restoreBackup returns the restore job, linked to its backup', async (t) => {
    const input = { serviceId: CATALOG, organizationId: DEMO_ORG_ID, backupName: 'catalog-nightly-001', dbName: 'catalog', collectionNames: ['products'] }
    const { body } = await gql(app, RESTORE, { variables: { input } })
    t.notOk(body.errors)
    const job = body.data.restoreBackup.restoreJob
    t.match(job, { serviceId: CATALOG, organizationId: DEMO_ORG_ID, backupName: 'catalog-nightly-001', dbName: 'catalog', collectionNames: ['products'], status: 'PENDING', completedAt: null, errorMessage: null })
    t.match(job.id, /^[0-9a-f-]{36}$/)
    t.same(job.backup, { name: 'catalog-nightly-001', status: 'COMPLETED' })
    t.same(sim.restoreJobs().map((r) => r.id), [job.id])
  })

  t.test('restoreBackup: main errors', async (t) => {
    const input = { serviceId: CATALOG, organizationId: DEMO_ORG_ID, backupName: 'catalog-manual-003', dbName: 'catalog', collectionNames: ['products'] }
    const { body: running } = await gql(app, RESTORE, { variables: { input } })
    t.same(codes(running), ['FAILED_PRECONDITION'], 'only a COMPLETED backup can be restored')
    const { body: missing } = await gql(app, RESTORE, { variables: { input: { ...input, backupName: 'no-such-backup' } } })
    t.same(codes(missing), ['NOT_FOUND'])
    t.equal(missing.errors?.[0]?.extensions.grpcStatus, 'NOT_FOUND')
    t.same(missing.errors?.[0]?.path, ['restoreBackup'])
    t.match(await rejected(t, RESTORE, { ...input, collectionNames: [] }), { field: 'input.collectionNames' })
    t.match(await rejected(t, RESTORE, { ...input, backupName: ' ' }), { field: 'input.backupName' })
  })

  t.test('deleteBackup returns the deleted backup, gone from the service', async (t) => {
    const { body } = await gql(app, DELETE_BACKUP, { variables: { input: { serviceId: ANALYTICS, backupName: 'analytics-events-002' } } })
    t.notOk(body.errors)
    t.same(body.data.deleteBackup, { backup: { name: 'analytics-events-002', status: 'FAILED' }, service: { backups: { totalCount: 1 } } })
    const { body: after } = await gql(app, `{ backup(serviceId: "${ANALYTICS}", name: "analytics-events-002") { name } }`)
    t.same(after.data, { backup: null })
  })

  t.test('deleteBackup: main error, NOT_FOUND', async (t) => {
    const { body } = await gql(app, DELETE_BACKUP, { variables: { input: { serviceId: ANALYTICS, backupName: 'analytics-events-002' } } })
    t.same(codes(body), ['NOT_FOUND'])
    t.same(body.data, { deleteBackup: null })
    t.match(await rejected(t, DELETE_BACKUP, { serviceId: '', backupName: 'x' }), { field: 'input.serviceId' })
  })

  let created = ''
  const policyInput = { serviceId: ARCHIVE, organizationId: DEMO_ORG_ID, scheduleCron: '30 4 * * 1', retentionCount: 4 }

  t.test('createBackupPolicy returns the policy with its next runs', async (t) => {
    const { body } = await gql(app, CREATE_POLICY, { variables: { input: policyInput } })
    t.notOk(body.errors)
    const policy = body.data.createBackupPolicy.policy
    created = policy.id
    t.match(policy, { serviceId: ARCHIVE, organizationId: DEMO_ORG_ID, scheduleCron: '30 4 * * 1', retentionCount: 4, isActive: true })
    t.equal(policy.nextRuns.length, 2)
    for (const run of policy.nextRuns) t.equal(new Date(run).getUTCDay(), 1, 'Mondays')
    t.same(body.data.createBackupPolicy.service.policies, [{ id: created }])
  })

  t.test('a bad nextRuns count nulls nextRuns alone: the payload of the write that happened stands', async (t) => {
    const input = { serviceId: ANALYTICS, organizationId: DEMO_ORG_ID, scheduleCron: '0 3 * * *', retentionCount: 2 }
    const { body } = await gql(app, `mutation CP($input: CreateBackupPolicyInput!) {
      createBackupPolicy(input: $input) { policy { id scheduleCron nextRuns(count: 101) } service { policies { id } } }
    }`, { variables: { input } })
    t.same(codes(body), ['BAD_USER_INPUT'])
    t.same(body.errors?.[0]?.path, ['createBackupPolicy', 'policy', 'nextRuns'])
    const payload = body.data.createBackupPolicy
    t.match(payload, { policy: { id: /^[0-9a-f-]{36}$/, scheduleCron: '0 3 * * *', nextRuns: null } })
    t.same(payload.service.policies, [{ id: payload.policy.id }], 'the policy exists upstream, and the payload says so')
  })

  t.test('createBackupPolicy: main errors, rejected before the upstream', async (t) => {
    const cron = await rejected(t, CREATE_POLICY, { ...policyInput, scheduleCron: '0 0 * *' })
    t.match(cron, { code: 'BAD_USER_INPUT', field: 'input.scheduleCron', message: /five-field cron/ })
    const never = await rejected(t, CREATE_POLICY, { ...policyInput, scheduleCron: '0 0 31 2 *' })
    t.match(never, { code: 'BAD_USER_INPUT', field: 'input.scheduleCron', message: /^input\.scheduleCron never fires/ })
    // Classic cron only, not croner's extensions.
    t.match(await rejected(t, CREATE_POLICY, { ...policyInput, scheduleCron: '0 0 * * 1#2' }), { code: 'BAD_USER_INPUT', field: 'input.scheduleCron', message: /day-of-week "1#2" is not classic cron/ })
    t.match(await rejected(t, CREATE_POLICY, { ...policyInput, retentionCount: 0 }), { field: 'input.retentionCount', message: /at least 1/ })
    t.match(await rejected(t, CREATE_POLICY, { ...policyInput, organizationId: '1234' }), { field: 'input.organizationId' })
  })

  t.test('updateBackupPolicy returns the updated policy; inactive means no next runs', async (t) => {
    const { body } = await gql(app, UPDATE_POLICY, { variables: { input: { serviceId: ARCHIVE, policyId: created, scheduleCron: '0 6 * * *', retentionCount: 2, isActive: false } } })
    t.notOk(body.errors)
    t.same(body.data.updateBackupPolicy.policy, { id: created, scheduleCron: '0 6 * * *', retentionCount: 2, isActive: false, nextRuns: [] })
    const request = sim.calls.find((c) => c.method === 'UpdateBackupPolicy')?.request as unknown as Record<string, unknown>
    t.equal(request.organization_id, undefined, 'an omitted optional field is not sent')

    // isActive omitted: unchanged.
    const { body: again } = await gql(app, UPDATE_POLICY, { variables: { input: { serviceId: ARCHIVE, policyId: created, scheduleCron: '0 6 * * *', retentionCount: 3 } } })
    t.equal(again.data.updateBackupPolicy.policy.isActive, false)
  })

  t.test('updateBackupPolicy: main errors', async (t) => {
    const input = { serviceId: ARCHIVE, policyId: UNKNOWN_POLICY, scheduleCron: '0 6 * * *', retentionCount: 2 }
    const { body } = await gql(app, UPDATE_POLICY, { variables: { input } })
    t.same(codes(body), ['NOT_FOUND'])
    t.match(await rejected(t, UPDATE_POLICY, { ...input, policyId: 'policy-1' }), { code: 'BAD_USER_INPUT', field: 'input.policyId', message: /UUID/ })
    t.match(await rejected(t, UPDATE_POLICY, { ...input, retentionCount: -2 }), { field: 'input.retentionCount' })
  })

  t.test('deleteBackupPolicy returns the deleted policy, gone from the service', async (t) => {
    const { body } = await gql(app, DELETE_POLICY, { variables: { input: { serviceId: CATALOG, policyId: DEMO_POLICY_ID } } })
    t.notOk(body.errors)
    t.same(body.data.deleteBackupPolicy, { policy: { id: DEMO_POLICY_ID, scheduleCron: '0 2 * * *', nextRuns: [] }, service: { policies: [] } },
      'it fires no more: no next runs, though it was active')
  })

  t.test('deleteBackupPolicy: main errors', async (t) => {
    const { body } = await gql(app, DELETE_POLICY, { variables: { input: { serviceId: CATALOG, policyId: DEMO_POLICY_ID } } })
    t.same(codes(body), ['NOT_FOUND'])
    t.match(await rejected(t, DELETE_POLICY, { serviceId: CATALOG, policyId: 'nope' }), { field: 'input.policyId' })
  })

  t.test('mutations run in order, each payload read after its own write; a failed one leaves the others', async (t) => {
    const create = (alias: string, name: string): string => `${alias}: createBackup(input: { serviceId: "${ARCHIVE}", organizationId: "${DEMO_ORG_ID}", dbName: "archive", collectionNames: ["docs"], backupName: "${name}" }) { backup { name } service { backups { totalCount } } }`
    const { body: before } = await gql(app, `{ service(id: "${ARCHIVE}") { backups { totalCount } } }`)
    const n = before.data.service.backups.totalCount as number
    const { body } = await gql(app, `mutation {
      ${create('a', 'seq-1')}
      ${create('b', 'seq-1')}
      ${create('c', 'seq-2')}
      d: deleteBackup(input: { serviceId: "${ARCHIVE}", backupName: "seq-1" }) { backup { name } service { backup(name: "seq-1") { name } } }
    }`)
    t.same(body.data, {
      a: { backup: { name: 'seq-1' }, service: { backups: { totalCount: n + 1 } } },
      b: null,
      c: { backup: { name: 'seq-2' }, service: { backups: { totalCount: n + 2 } } },
      d: { backup: { name: 'seq-1' }, service: { backup: null } }
    })
    t.same(codes(body), ['ALREADY_EXISTS'])
    t.same(body.errors?.[0]?.path, ['b'])
  })
})
