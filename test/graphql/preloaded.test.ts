/**
 * A service reference that carries its organization's list and a bare one
 * never answer for each other. mercurius merges the loader queries of one
 * tick by the JSON of their parent, which skips the symbol holding the
 * list: the references of one list share a tag there, any other differs.
 * Without it, a mutation's payload could be answered from an organization
 * list read before the write, when both reached the loader in one tick.
 */
import t from 'tap'
import { preloadTag, serviceWithBackups, type ServiceRef } from '../../src/graphql/model.js'
import { DEMO_ORG_ID, DEMO_SERVICE_IDS } from '../../src/simulator/index.js'
import { buildTestApp } from '../helpers/app.js'
import { FakeClock } from '../helpers/clock.js'
import { headersOf } from './helpers.js'

const [, , ARCHIVE] = DEMO_SERVICE_IDS

t.test('loader keys: a preloaded reference differs from a bare one; two from one list are alike', async (t) => {
  // The key mercurius builds for a loader query (its serializer, like JSON, skips symbols).
  const key = (obj: ServiceRef): string => JSON.stringify({ obj, params: {} })
  const tag = preloadTag()
  t.not(key(serviceWithBackups('svc', [], tag)), key({ id: 'svc' }))
  t.equal(key(serviceWithBackups('svc', [], tag)), key(serviceWithBackups('svc', [], tag)), 'one list, one key per service')
  t.not(key(serviceWithBackups('svc', [], tag)), key(serviceWithBackups('svc', [], preloadTag())), 'another list, another key')
})

t.test('a batch: the mutation payload lists what it created, whichever tick the organization list lands in', async (t) => {
  // The organization's list is read before the write and both answers are
  // released together, then the write's caller waits `spin` microtasks, so
  // some spin puts the payload's lookup in the same loader tick as the
  // organization's services.
  for (let spin = 0; spin <= 8; spin++) {
    const { app } = await buildTestApp(t, { simulator: { clock: new FakeClock() } })
    const vbase = app.vbase
    const call = vbase.call.bind(vbase) as (...args: unknown[]) => Promise<unknown>
    let released!: () => void
    const both = new Promise<void>((resolve) => { released = resolve })
    let orgRead!: () => void
    const orgDone = new Promise<void>((resolve) => { orgRead = resolve })
    let arrived = 0
    Object.assign(vbase, {
      call: async (method: string, ...rest: unknown[]) => {
        if (method === 'CreateBackup') await orgDone
        const out = await call(method, ...rest)
        if (method === 'ListBackupByOrg') orgRead()
        if (method === 'ListBackupByOrg' || method === 'CreateBackup') {
          if (++arrived === 2) released()
          await both
          if (method === 'CreateBackup') for (let i = 0; i < spin; i++) await Promise.resolve()
        }
        return out
      }
    })
    const res = await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: headersOf(),
      payload: [
        { query: `{ organization(id: "${DEMO_ORG_ID}") { services { id backups { totalCount } } } }` },
        { query: `mutation { createBackup(input: {serviceId: "${ARCHIVE}", organizationId: "${DEMO_ORG_ID}", dbName: "archive", collectionNames: ["docs"], backupName: "new-${spin}"}) { service { backups { nodes { name } } } } }` }
      ]
    })
    const [, mutation] = res.json() as Array<{ data?: { createBackup?: { service: { backups: { nodes: Array<{ name: string }> } } } } }>
    const names = mutation?.data?.createBackup?.service.backups.nodes.map((n) => n.name) ?? []
    t.ok(names.includes(`new-${spin}`), `spin ${spin}: the payload lists new-${spin} (${names.join(', ')})`)
  }
})

t.test('the services of backups read in an organization\'s list ask the upstream nothing more', async (t) => {
  const { app, sim } = await buildTestApp(t, { simulator: { clock: new FakeClock() } })
  sim.resetCalls()
  const res = await app.inject({
    method: 'POST',
    url: '/graphql',
    headers: headersOf(),
    payload: { query: `{ organization(id: "${DEMO_ORG_ID}") { backups { totalCount nodes { name service { id backups { totalCount nodes { name } } } } } } }` }
  })
  const body = res.json() as { errors?: unknown, data: { organization: { backups: { totalCount: number, nodes: Array<{ name: string, service: { id: string, backups: { totalCount: number, nodes: Array<{ name: string }> } } }> } } } }
  t.equal(body.errors, undefined)
  t.same(sim.calls.map((c) => c.method), ['ListBackupByOrg'], 'one call: the list holds every service\'s backups')
  const nodes = body.data.organization.backups.nodes
  t.ok(nodes.length > 1)
  for (const node of nodes) {
    const own = nodes.filter((n) => n.service.id === node.service.id).map((n) => n.name).sort()
    t.same(node.service.backups.nodes.map((n) => n.name).sort(), own, `${node.name}: its service's backups are those of the list`)
  }
})
