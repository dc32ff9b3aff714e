/**
 * The standard gRPC health service (grpc.health.v1.Health), from the
 * grpc-health-check package: SERVING for the whole server ("") and for
 * VBaseService. It needs no token and no fault touches it, so a probe can
 * tell "simulator up" from "simulator failing calls on purpose".
 */
import { HealthImplementation, service as healthService } from 'grpc-health-check'
import { SERVICE_NAME } from '../upstream/contract.js'

/** The health service's grpc-js definition, for clients that probe it. */
export { healthService }

/** The fully qualified name the health service is served under. */
export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health'

/** A health implementation reporting the simulator SERVING. */
export function createHealth (): HealthImplementation {
  return new HealthImplementation({ '': 'SERVING', [SERVICE_NAME]: 'SERVING' })
}
