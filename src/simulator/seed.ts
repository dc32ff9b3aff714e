/**
 * Demo data, so a new user sees something in GraphiQL at once, and fixed ids
 * that the README and the tests can name. Seeded jobs that are unfinished
 * progress like any other job; the seeded policy fires like any other.
 */
import { simulatedSize } from './names.js'
import type { SimService } from './service.js'

/** The token that stands for the demo organization when SIM_TOKENS is unset. Documented, not a secret. */
export const DEV_TOKEN = 'vbase-dev-token'

/** The demo organization. */
export const DEMO_ORG_ID = '7c9e6679-7425-40de-944b-e07fc1f90ae7'

/** The demo organization's three services. */
export const DEMO_SERVICE_IDS = ['svc-demo-catalog', 'svc-demo-analytics', 'svc-demo-archive'] as const

/** The demo policy, on the first service: daily at 02:00 UTC, keeping 7. */
export const DEMO_POLICY_ID = 'b3f1c2d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d'

/** A seeded backup: where it lives and in which state the simulator starts it. */
export interface DemoBackup {
  serviceId: string
  name: string
  dbName: string
  collections: readonly string[]
  status: 'PENDING' | 'RUNNING' | 'COMPLETED' | 'FAILED'
  /** How long before the simulator's start the job was created. */
  ageMs: number
  policyId?: string
  errorMessage?: string
}

const HOUR = 3_600_000
const [CATALOG, ANALYTICS, ARCHIVE] = DEMO_SERVICE_IDS

/** The seeded backups, in every job state, spread over the three services. */
export const DEMO_BACKUPS: readonly DemoBackup[] = [
  { serviceId: CATALOG, name: 'catalog-nightly-001', dbName: 'catalog', collections: ['products', 'categories'], status: 'COMPLETED', ageMs: 48 * HOUR, policyId: DEMO_POLICY_ID },
  { serviceId: CATALOG, name: 'catalog-nightly-002', dbName: 'catalog', collections: ['products', 'categories'], status: 'COMPLETED', ageMs: 24 * HOUR, policyId: DEMO_POLICY_ID },
  { serviceId: CATALOG, name: 'catalog-manual-003', dbName: 'catalog', collections: ['products'], status: 'RUNNING', ageMs: 1_000 },
  { serviceId: ANALYTICS, name: 'analytics-events-001', dbName: 'analytics', collections: ['events', 'sessions'], status: 'COMPLETED', ageMs: 30 * HOUR },
  { serviceId: ANALYTICS, name: 'analytics-events-002', dbName: 'analytics', collections: ['events'], status: 'FAILED', ageMs: 6 * HOUR, errorMessage: 'backup volume quota exceeded' },
  { serviceId: ARCHIVE, name: 'archive-docs-001', dbName: 'archive', collections: ['docs'], status: 'COMPLETED', ageMs: 72 * HOUR },
  { serviceId: ARCHIVE, name: 'archive-docs-002', dbName: 'archive', collections: ['docs', 'attachments'], status: 'PENDING', ageMs: 0 }
]

/** A finished job took this long, for completed_at. */
const SEED_JOB_DURATION_MS = 90_000

/** Load the demo organization's services, backups and policy into a fresh simulator. */
export function seedDemoData (service: SimService, now: number): void {
  for (const id of DEMO_SERVICE_IDS) service.state.bind(id, DEMO_ORG_ID)
  for (const b of DEMO_BACKUPS) {
    const createdAt = now - b.ageMs
    const finished = b.status === 'COMPLETED' || b.status === 'FAILED'
    service.insertBackup({
      name: b.name,
      serviceId: b.serviceId,
      organizationId: DEMO_ORG_ID,
      dbName: b.dbName,
      collections: [...b.collections],
      status: b.status,
      createdAt,
      sizeBytes: b.status === 'COMPLETED' ? simulatedSize(b.serviceId, b.dbName, b.name, b.collections) : 0,
      errorMessage: b.errorMessage ?? '',
      ...(finished ? { completedAt: createdAt + SEED_JOB_DURATION_MS } : {}),
      ...(b.policyId !== undefined ? { policyId: b.policyId } : {})
    })
  }
  service.insertPolicy({
    id: DEMO_POLICY_ID,
    serviceId: CATALOG,
    organizationId: DEMO_ORG_ID,
    scheduleCron: '0 2 * * *',
    retentionCount: 7,
    isActive: true,
    createdAt: now - 7 * 24 * HOUR,
    updatedAt: now - 7 * 24 * HOUR
  })
}
