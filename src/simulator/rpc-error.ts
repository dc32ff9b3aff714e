/**
 * The errors the simulator answers with: ServiceError-shaped (`code`,
 * `details`) so grpc-js sends the code and the message as the status.
 */
import { status } from '@grpc/grpc-js'

/** A gRPC status the simulator answers a call with. */
export class RpcError extends Error {
  readonly code: status
  /** grpc-js sends `details` as the status message. */
  readonly details: string
  constructor (code: status, details: string) {
    super(details)
    this.name = 'RpcError'
    this.code = code
    this.details = details
  }
}

export const invalidArgument = (message: string): RpcError => new RpcError(status.INVALID_ARGUMENT, message)
export const unauthenticated = (message: string): RpcError => new RpcError(status.UNAUTHENTICATED, message)
export const permissionDenied = (message: string): RpcError => new RpcError(status.PERMISSION_DENIED, message)
export const notFound = (message: string): RpcError => new RpcError(status.NOT_FOUND, message)
export const alreadyExists = (message: string): RpcError => new RpcError(status.ALREADY_EXISTS, message)
export const failedPrecondition = (message: string): RpcError => new RpcError(status.FAILED_PRECONDITION, message)

/** The grpc-js name of a status code, e.g. `UNAVAILABLE`. */
export function statusName (code: status): string {
  return status[code] ?? `CODE_${code}`
}
