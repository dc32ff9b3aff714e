/**
 * Node 20's `AsyncResource.prototype.bind` gives every function it binds an
 * `asyncResource` accessor whose getter and setter are closures of their own
 * (the DEP0172 deprecation wrappers), made in the same scope as the function
 * bound. A per-object accessor with closures outlives V8's young GCs (as
 * found for the gateway's own getters at a23766b): the closures, and
 * through their scope the function bound and all it reaches, are copied and
 * promoted, and freed only by the next full GC.
 *
 * http2's `ClientHttp2Session.request()` binds one function per stream
 * (`requestOnConnect`, bound to the stream), so every upstream call the
 * gateway makes through grpc-js was kept whole (stream, call, message,
 * listeners) until the next full GC: about 2 MB copied and promoted per young
 * GC under load (bench/RESULTS.md, findings at a23766b and after). Node made
 * the property End-of-Life upstream (nodejs/node#58618), so newer versions
 * bind without it and this is not needed there.
 *
 * fixAsyncResourceBind replaces the method, where the accessor is there, with
 * one that does what Node 20's does (the same calls, `this`, arguments,
 * `length`, name and async scope) but makes `asyncResource` a plain writable
 * property: reading it returns the resource and assigning it replaces what it
 * reads, as the setter did; only the deprecation warning is gone. What a
 * bound function holds then dies young (test/ops/async-bind.test.ts: 0.02
 * MB promoted of 16 MB held, against 6 to 20 MB with Node's). It patches a Node
 * core prototype, process-wide: the process entry calls it (ASYNC_BIND_FIX,
 * on by default), never a module on import.
 */
import { AsyncResource } from 'node:async_hooks'

/** AsyncResource.prototype.bind's shape, as replaced here. */
export type Bind = (this: AsyncResource, fn: (...args: never[]) => unknown, thisArg?: unknown) => (...args: unknown[]) => unknown

/** This process's AsyncResource.prototype.bind, as the `proto` fixAsyncResourceBind patches by default. */
const processBind = AsyncResource.prototype as unknown as { bind: Bind }

/** Does this bind (by default, this process's own) give the functions it binds an `asyncResource` accessor? */
export function bindDefinesAccessor (bind: Bind = processBind.bind): boolean {
  const probe = bind.call(new AsyncResource('vbase-gateway.probe'), () => {})
  return typeof probe === 'function' && typeof Object.getOwnPropertyDescriptor(probe, 'asyncResource')?.get === 'function'
}

/** `fn` run in the resource's scope with the caller's `this`; named `bound`, as Node's is. */
function callerThisBound (resource: AsyncResource, fn: (...args: unknown[]) => unknown): (...args: unknown[]) => unknown {
  return function bound (this: unknown, ...args: unknown[]): unknown {
    return resource.runInAsyncScope(fn, this, ...args)
  }
}

/**
 * Replace `proto.bind` where it defines the accessor; true if replaced, false
 * where it was not needed (a Node without the accessor, or replaced before).
 */
export function fixAsyncResourceBind (proto: { bind: Bind } = processBind): boolean {
  const original = proto.bind
  if (!bindDefinesAccessor(original)) return false
  proto.bind = function bind (this: AsyncResource, fn, thisArg) {
    // Node's own check and error (ERR_INVALID_ARG_TYPE) for a non-function.
    if (typeof fn !== 'function') return original.call(this, fn, thisArg)
    const f = fn as (...args: unknown[]) => unknown
    const bound = thisArg === undefined
      ? callerThisBound(this, f)
      : this.runInAsyncScope.bind(this, f, thisArg) as (...args: unknown[]) => unknown
    Object.defineProperty(bound, 'length', { configurable: true, enumerable: false, writable: false, value: fn.length })
    Object.defineProperty(bound, 'asyncResource', { configurable: true, enumerable: true, writable: true, value: this })
    return bound
  }
  return true
}
