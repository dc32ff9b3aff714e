/**
 * The vbase facade: the only way GraphQL and REST reach the upstream.
 * `call(method, request, ctx)` is typed by the contract; the list cache and
 * invalidation sit here so both surfaces behave the same.
 */
import { contract, type MethodName, type RequestOf, type ResponseOf } from './contract.js'
import type { UpstreamClient } from './client.js'
import type { CallContext } from './metadata.js'

/** How a read was served, for HTTP caching headers and X-Cache. */
export interface CallMeta {
  /** `none` for writes (and for reads until the list cache exists). */
  cache: 'hit' | 'miss' | 'bypass' | 'none'
  /** Strong validator of the response, stable while the cached entry lives. */
  etag?: string
  /** How much longer the response may be reused. */
  maxAgeMs?: number
}

/** The typed facade over VBaseService. */
export interface Vbase {
  call<M extends MethodName> (method: M, request: RequestOf<M>, ctx: CallContext): Promise<ResponseOf<M>>
  /** Like `call`, with how the result was served. */
  callWithMeta<M extends MethodName> (method: M, request: RequestOf<M>, ctx: CallContext): Promise<{ value: ResponseOf<M>, meta: CallMeta }>
  /** True when the upstream answers its health check. */
  ready (): Promise<boolean>
  close (): Promise<void>
}

export interface VbaseOptions {
  client: UpstreamClient
}

/** Build the facade over an upstream client. */
export function createVbase (opts: VbaseOptions): Vbase {
  const { client } = opts
  async function callWithMeta<M extends MethodName> (method: M, request: RequestOf<M>, ctx: CallContext): Promise<{ value: ResponseOf<M>, meta: CallMeta }> {
    const value = await client.unary(contract.method(method), request as object, ctx) as ResponseOf<M>
    return { value, meta: { cache: 'none' } }
  }
  return {
    async call (method, request, ctx) {
      return (await callWithMeta(method, request, ctx)).value
    },
    callWithMeta,
    ready () {
      return client.healthy()
    },
    async close () {
      client.close()
    }
  }
}
