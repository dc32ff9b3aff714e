import t from 'tap'
import { SERVICE_NAME } from '../../src/upstream/contract.js'
import { grpc, harness, rejects } from './client.js'

t.test('the standard health service answers SERVING without a token', async (t) => {
  const { client, sim } = await harness(t)
  t.same(await client.healthCheck(''), { status: 'SERVING' }, 'the whole server')
  t.same(await client.healthCheck(SERVICE_NAME), { status: 'SERVING' }, SERVICE_NAME)
  t.same(await client.healthCheck('', { authorization: 'Basic nonsense' }), { status: 'SERVING' }, 'a bad authorization is ignored')
  await rejects(t, client.healthCheck('no.such.Service'), grpc.status.NOT_FOUND, undefined, 'an unknown service')
  t.equal(sim.callCount(), 0, 'health calls are not recorded as VBaseService calls')
})

t.test('faults do not touch the health service', async (t) => {
  const { client, sim } = await harness(t)
  sim.faults.failEvery(1, grpc.status.INTERNAL)
  sim.faults.failNext(5, grpc.status.UNAVAILABLE)
  sim.faults.latencyMs = 5_000
  const started = Date.now()
  t.same(await client.healthCheck(''), { status: 'SERVING' })
  t.ok(Date.now() - started < 2_000, 'no injected latency')
  await sim.stopListening()
  await rejects(t, client.healthCheck(''), grpc.status.UNAVAILABLE, undefined, 'except stopListening, which stops everything')
})
