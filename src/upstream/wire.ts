/**
 * An upstream answer as it came off the wire, decoded only when asked.
 * Reads are fetched this way (`unary(..., { wire: true })`): the list cache
 * renders each distinct answer once, and an answer it has already rendered
 * (the same bytes) is not decoded, rendered to JSON or hashed again.
 */
import { status as GrpcStatus } from '@grpc/grpc-js'
import { safeUpstreamError } from '../errors.js'

export class WireAnswer {
  constructor (readonly bytes: Buffer, private readonly decoder: (bytes: Buffer) => object) {}

  /**
   * The decoded message. Bytes the contract cannot parse fail as grpc-js
   * fails them when it decodes: INTERNAL, the backup service failed.
   */
  decode (): object {
    try {
      return this.decoder(this.bytes)
    } catch (err) {
      throw safeUpstreamError(GrpcStatus.INTERNAL, `response message parsing error: ${(err as Error).message}`)
    }
  }
}
