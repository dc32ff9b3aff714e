import t from 'tap'
import { statusDetailsTrailers } from '../../src/simulator/faults.js'
import { DEMO_ORG_ID, DEV_TOKEN } from '../../src/simulator/index.js'
import { STATUS_DETAILS_KEY, statusDetailsOf } from '../../src/upstream/status-details.js'
import { grpc, harness, rejects, TestClient } from './client.js'

const LIST = { service_id: 'svc-f' }

t.test('latency delays every call, on real time', async (t) => {
  const { client, sim } = await harness(t)
  sim.faults.latencyMs = 150
  const started = Date.now()
  await client.call('ListBackups', LIST)
  // Timers may fire a millisecond early; allow a little slack below.
  t.ok(Date.now() - started >= 140, `the call took at least the latency (${Date.now() - started} ms)`)
  sim.faults.latencyMs = 2_000
  await rejects(t, client.call('ListBackups', LIST, { deadlineMs: 100 }), grpc.status.DEADLINE_EXCEEDED, undefined, 'a deadline shorter than the latency')
  sim.clearFaults()
  const quick = Date.now()
  await client.call('ListBackups', LIST)
  t.ok(Date.now() - quick < 1_000, 'clearFaults removes the latency')
})

t.test('close cancels pending latency at once', async (t) => {
  const { client, sim } = await harness(t)
  sim.faults.latencyMs = 30_000
  const pending = client.call('ListBackups', LIST).then(() => 'ok', (err: grpc.ServiceError) => err.code)
  await new Promise<void>((resolve) => { const check = (): void => { if (sim.callCount() > 0) resolve(); else setImmediate(check) }; check() })
  const started = Date.now()
  await sim.close()
  t.equal(await pending, grpc.status.UNAVAILABLE, 'the delayed call ends UNAVAILABLE')
  t.ok(Date.now() - started < 2_000, 'without waiting out the latency')
})

t.test('failNext fails the next n calls, before auth', async (t) => {
  const { client, sim } = await harness(t)
  sim.faults.failNext(2, grpc.status.RESOURCE_EXHAUSTED, 'slow down')
  await rejects(t, client.call('ListBackups', LIST), grpc.status.RESOURCE_EXHAUSTED, /^slow down$/, 'first')
  await rejects(t, client.call('ListBackups', LIST, { token: null }), grpc.status.RESOURCE_EXHAUSTED, undefined, 'second, even without a token')
  t.same((await client.call('ListBackups', LIST)).backups, [], 'third succeeds')
  sim.faults.failNext(1, grpc.status.INTERNAL)
  await rejects(t, client.call('ListBackups', LIST), grpc.status.INTERNAL, /simulated fault: INTERNAL/, 'default message')
  sim.faults.failNext(3, grpc.status.UNAVAILABLE)
  sim.clearFaults()
  await client.call('ListBackups', LIST)
  t.pass('clearFaults drops the remaining failures')
})

t.test('failEvery fails every k-th call until turned off', async (t) => {
  const { client, sim } = await harness(t)
  sim.faults.failEvery(2, grpc.status.UNAVAILABLE)
  const outcomes: string[] = []
  for (let i = 0; i < 6; i++) {
    outcomes.push(await client.call('ListBackups', LIST).then(() => 'ok', (err: grpc.ServiceError) => grpc.status[err.code]))
  }
  t.same(outcomes, ['ok', 'UNAVAILABLE', 'ok', 'UNAVAILABLE', 'ok', 'UNAVAILABLE'], 'every other call fails')
  sim.faults.failEvery(0)
  for (let i = 0; i < 3; i++) await client.call('ListBackups', LIST)
  t.pass('failEvery(0) turns it off')
  sim.faults.failEvery(1, grpc.status.ABORTED, 'always')
  await rejects(t, client.call('ListBackups', LIST), grpc.status.ABORTED, /always/, 'failEvery(1)')
  sim.clearFaults()
  await client.call('ListBackups', LIST)
  t.pass('clearFaults turns it off')
})

t.test('unimplemented makes a method answer UNIMPLEMENTED, alone', async (t) => {
  const { client, sim } = await harness(t)
  sim.faults.unimplemented('ListBackupPolicies')
  await rejects(t, client.call('ListBackupPolicies', LIST), grpc.status.UNIMPLEMENTED, /does not implement the method \/dodil.vbase.v1.VBaseService\/ListBackupPolicies/, 'the extension')
  t.same((await client.call('ListBackups', LIST)).backups, [], 'other methods still work')
  sim.clearFaults()
  t.same((await client.call('ListBackupPolicies', LIST)).policies, [], 'cleared')
})

t.test('stopListening refuses connections; startListening serves again on the same port, state kept', async (t) => {
  const { client, sim } = await harness(t)
  const port = sim.port
  await client.call('CreateBackup', { service_id: 'svc-f', organization_id: DEMO_ORG_ID, db_name: 'db', collection_names: ['a'], backup_name: 'kept' })
  await sim.stopListening()
  await rejects(t, client.call('ListBackups', LIST), grpc.status.UNAVAILABLE, undefined, 'an open channel')
  const fresh = new TestClient(sim.address, DEV_TOKEN)
  t.teardown(() => fresh.close())
  await rejects(t, fresh.call('ListBackups', LIST), grpc.status.UNAVAILABLE, undefined, 'a new connection')
  await sim.startListening()
  t.equal(sim.port, port, 'same port')
  const listed = await client.call('ListBackups', LIST, { waitForReady: true, deadlineMs: 5_000 })
  t.same(listed.backups.map((b) => b.name), ['kept'], 'the same channel reconnects; state is kept')
  await sim.startListening()
  t.pass('startListening while listening is a no-op')
})

t.test('every call is recorded, before faults and checks, with its metadata', async (t) => {
  const { client, sim, clock } = await harness(t)
  await client.call('CreateBackup', { service_id: 'svc-f', organization_id: DEMO_ORG_ID, db_name: 'db', collection_names: ['a'] }, { metadata: { 'x-request-id': 'req-42' } })
  clock.advance(1234)
  await rejects(t, client.call('ListBackups', { service_id: '' }), grpc.status.INVALID_ARGUMENT)
  await rejects(t, client.call('ListBackups', LIST, { token: null }), grpc.status.UNAUTHENTICATED)
  sim.faults.failNext(1, grpc.status.UNAVAILABLE)
  await rejects(t, client.call('ListBackupPolicies', LIST), grpc.status.UNAVAILABLE)

  t.equal(sim.calls.length, 4)
  t.equal(sim.callCount(), 4)
  t.equal(sim.callCount('ListBackups'), 2)
  t.equal(sim.callCount('DeleteBackup'), 0)
  const [first, second, third] = sim.calls
  t.match(first, {
    method: 'CreateBackup',
    request: { service_id: 'svc-f', organization_id: DEMO_ORG_ID, db_name: 'db', collection_names: ['a'] },
    metadata: { authorization: `Bearer ${DEV_TOKEN}`, 'x-request-id': 'req-42' },
    at: clock.now() - 1234
  })
  t.notOk('backup_name' in (first?.request ?? {}), 'an omitted optional field stays absent in the decoded request')
  t.same(second?.request, { service_id: '' }, 'decoded with defaults')
  t.equal(second?.at, clock.now())
  t.notOk('authorization' in (third?.metadata ?? {}), 'a call without a token has no authorization')
  sim.resetCalls()
  t.equal(sim.callCount(), 0)
  await client.call('ListBackups', LIST)
  t.equal(sim.calls.length, 1, 'recording goes on after a reset')
})

t.test('recordCalls: false keeps no call log (long-running simulators)', async (t) => {
  const { client, sim } = await harness(t, { recordCalls: false })
  await client.call('ListBackups', LIST)
  await client.call('ListBackups', LIST)
  t.equal(sim.calls.length, 0, 'nothing recorded')
  const recorded = await harness(t)
  await recorded.client.call('ListBackups', LIST)
  t.equal(recorded.sim.calls.length, 1, 'recorded by default')
})

t.test('failNext and failEvery send their trailers as the status\'s trailing metadata', async (t) => {
  const { client, sim } = await harness(t)
  const details = [{ '@type': 'type.googleapis.com/google.rpc.BadRequest', field_violations: [{ field: 'service_id', description: 'unknown service' }] }]
  const trailers = statusDetailsTrailers(grpc.status.INVALID_ARGUMENT, 'no such service', details)
  const bytes = trailers.get(STATUS_DETAILS_KEY)[0]
  sim.faults.failNext(2, grpc.status.INVALID_ARGUMENT, 'no such service', trailers)
  for (const which of ['first', 'second']) {
    const err = await rejects(t, client.call('ListBackups', LIST), grpc.status.INVALID_ARGUMENT, /^no such service$/, which)
    t.same(err?.metadata.get(STATUS_DETAILS_KEY), [bytes], `${which}: the trailer as given`)
  }
  t.same(statusDetailsOf(trailers, grpc.status.INVALID_ARGUMENT), details, 'a google.rpc.Status the gateway reads back')
  sim.faults.failEvery(1, grpc.status.RESOURCE_EXHAUSTED, 'slow down', statusDetailsTrailers(grpc.status.RESOURCE_EXHAUSTED, 'slow down', [
    { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retry_delay: { seconds: 2, nanos: 500_000_000 } }
  ]))
  const err = await rejects(t, client.call('ListBackups', LIST), grpc.status.RESOURCE_EXHAUSTED)
  t.same(statusDetailsOf(err?.metadata, grpc.status.RESOURCE_EXHAUSTED), [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retry_delay: '2.500s' }], 'failEvery too')
  sim.clearFaults()
  sim.faults.failNext(1, grpc.status.NOT_FOUND)
  const plain = await rejects(t, client.call('ListBackups', LIST), grpc.status.NOT_FOUND)
  t.same(plain?.metadata.get(STATUS_DETAILS_KEY), [], 'none without trailers')
})
