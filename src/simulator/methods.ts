/**
 * The simulator's per-method types, from the contract: the exact method
 * names and each request/response as decoded with the contract's loader options.
 */
import type { DecodedRequestOf, MethodName, ResponseOf } from '../upstream/contract.js'

/** One of the nine VBaseService method names. */
export type SimMethod = MethodName

/** A method's request as a server receives it (the contract's loader options). */
export type SimRequest<M extends SimMethod> = DecodedRequestOf<M>

/** A method's response, in the decoded shape (assignable to what a server may send). */
export type SimResponse<M extends SimMethod> = ResponseOf<M>

/** Any VBaseService request, decoded. */
export type AnyDecodedRequest = { [M in SimMethod]: SimRequest<M> }[SimMethod]
