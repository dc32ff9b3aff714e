/**
 * ASYNC_BIND_FIX (src/ops/async-bind.ts): the replacement bind does what
 * Node's does, compared call for call on real AsyncResources, and what its
 * bound functions hold dies in a young GC, where with Node 20's it is
 * promoted (measured in a child running young GCs only): the reason every
 * upstream call was promoted. This process's prototype is never patched.
 */
import t from 'tap'
import { AsyncResource, executionAsyncId, triggerAsyncId } from 'node:async_hooks'
import { loadConfig } from '../../src/config.js'
import { bindDefinesAccessor, fixAsyncResourceBind, type Bind } from '../../src/ops/async-bind.js'
import { tuneProcess } from '../../src/ops/process-tuning.js'
import { inYoungGcChild } from '../helpers/gc.js'
import { repoModuleUrl } from '../helpers/node-child.js'

const nodeBind = AsyncResource.prototype.bind as unknown as Bind
const nodeMajor = Number(process.versions.node.split('.')[0])

t.test('Node 20 binds with a per-function asyncResource accessor: the premise', async (t) => {
  if (nodeMajor === 20) t.equal(bindDefinesAccessor(), true)
  const proto = { bind: nodeBind }
  t.equal(fixAsyncResourceBind(proto), bindDefinesAccessor(), 'replaced where, and only where, Node defines the accessor')
  if (proto.bind === nodeBind) return
  t.equal(bindDefinesAccessor(proto.bind), false, 'the replacement defines none')
  const again = proto.bind
  t.equal(fixAsyncResourceBind(proto), false, 'a second call changes nothing')
  t.equal(proto.bind, again)
})

t.test('a bind without the accessor is left alone', async (t) => {
  const plain: Bind = function (this: AsyncResource, fn) {
    return (...args: unknown[]) => this.runInAsyncScope(fn as (...a: unknown[]) => unknown, undefined, ...args)
  }
  const proto = { bind: plain }
  t.equal(fixAsyncResourceBind(proto), false)
  t.equal(proto.bind, plain)
})

t.test('the replacement behaves as Node\'s bind', async (t) => {
  const proto = { bind: nodeBind }
  fixAsyncResourceBind(proto)
  const fixed = proto.bind
  if (fixed === nodeBind) { t.pass(`Node ${process.versions.node} binds without the accessor: nothing replaced`); return }

  /** What a bound function saw and returned, called as `holder.m(...args)`. */
  const observe = (bind: Bind, thisArg: unknown) => {
    const resource = new AsyncResource('bind-test')
    const seen: Array<{ self: unknown, args: unknown[], asyncId: number, trigger: number }> = []
    function target (this: unknown, a: unknown, b: unknown): string {
      seen.push({ self: this, args: [a, b], asyncId: executionAsyncId(), trigger: triggerAsyncId() })
      return `${String(a)}+${String(b)}`
    }
    const bound = bind.call(resource, target, thisArg)
    const holder = { m: bound }
    const returned = holder.m(1, 2)
    const descriptor = Object.getOwnPropertyDescriptor(bound, 'asyncResource')
    return {
      resource,
      holder,
      bound,
      returned,
      seen: seen[0],
      length: bound.length,
      name: bound.name,
      keys: Object.keys(bound),
      enumerable: descriptor?.enumerable,
      configurable: descriptor?.configurable
    }
  }

  for (const thisArg of [undefined, { mine: true }]) {
    const label = thisArg === undefined ? 'no thisArg' : 'a thisArg'
    const node = observe(nodeBind, thisArg)
    const ours = observe(fixed, thisArg)
    t.equal(ours.returned, node.returned, `${label}: returns what the function returns`)
    t.same(ours.seen?.args, [1, 2], `${label}: passes the arguments`)
    t.equal(node.seen?.self, thisArg ?? node.holder, `${label}: Node's \`this\``)
    t.equal(ours.seen?.self, thisArg ?? ours.holder, `${label}: the same \`this\``)
    t.equal(ours.seen?.asyncId, ours.resource.asyncId(), `${label}: runs in the resource's async scope`)
    t.equal(ours.seen?.trigger, ours.resource.triggerAsyncId(), `${label}: with its trigger`)
    t.equal(node.seen?.asyncId, node.resource.asyncId(), `${label}: as Node's does`)
    t.equal(ours.length, node.length, `${label}: length`)
    t.equal(ours.name, node.name, `${label}: name (${node.name})`)
    t.same(ours.keys, node.keys, `${label}: own enumerable keys`)
    t.equal(ours.enumerable, true)
    t.equal(ours.configurable, true)
    t.equal((ours.bound as unknown as { asyncResource: unknown }).asyncResource, ours.resource, `${label}: asyncResource is the resource`)
    const other = new AsyncResource('other')
    ;(ours.bound as unknown as { asyncResource: unknown }).asyncResource = other
    t.equal((ours.bound as unknown as { asyncResource: unknown }).asyncResource, other, `${label}: and can be replaced, as with Node's setter`)
    t.equal(typeof Object.getOwnPropertyDescriptor(ours.bound, 'asyncResource')?.get, 'undefined', `${label}: a plain property, not an accessor`)
  }

  const resource = new AsyncResource('bind-test')
  const nodeError = t.throws(() => nodeBind.call(resource, 42 as unknown as () => void)) as NodeJS.ErrnoException
  const ourError = t.throws(() => fixed.call(resource, 42 as unknown as () => void)) as NodeJS.ErrnoException
  t.equal(ourError.code, 'ERR_INVALID_ARG_TYPE')
  t.equal(ourError.message, nodeError.message, 'a non-function: Node\'s own error')
})

/**
 * A child binds 2000 functions, each holding 8 KB, drops them, and runs
 * young GCs only: how many MB the old generation grew by, before and after
 * the replacement. What a bound function holds is garbage at once; with Node
 * 20's bind it is promoted all the same (6 to 20 MB of the 16 held; 0.02 MB
 * replaced).
 */
t.test('what a bound function holds dies young once replaced; with Node 20\'s bind it is promoted', async (t) => {
  const { replaced, node, fixed } = await inYoungGcChild<{ replaced: boolean, node: number, fixed: number }>(`
    const { AsyncResource } = await import('node:async_hooks')
    const { fixAsyncResourceBind } = await import(${JSON.stringify(repoModuleUrl('src/ops/async-bind.ts'))})
    const bindHeld = (held) => { new AsyncResource('retention-test').bind(function () { return held }) }
    const node = promotedMb(bindHeld)
    const replaced = fixAsyncResourceBind()
    process.stdout.write(JSON.stringify({ replaced, node, fixed: promotedMb(bindHeld) }))
  `)
  t.equal(replaced, bindDefinesAccessor())
  t.ok(fixed < 1, `${fixed.toFixed(2)} MB promoted of 16 MB held (Node's bind: ${node.toFixed(2)} MB)`)
  if (replaced) t.ok(node > 2, `Node's bind: ${node.toFixed(2)} MB of 16 MB promoted`)
})

t.test('tuneProcess: the heap setting always, the bind fix only with ASYNC_BIND_FIX', async (t) => {
  const calls: string[] = []
  const apply = { tuneHeap: (p: number) => { calls.push(`heap ${p}`) }, fixBind: () => { calls.push('bind'); return true } }
  t.same(tuneProcess({ HEAP_GROWING_PERCENT: 100, ASYNC_BIND_FIX: true }, apply), { bindFixed: true })
  t.same(tuneProcess({ HEAP_GROWING_PERCENT: 50, ASYNC_BIND_FIX: false }, apply), { bindFixed: false })
  t.same(calls, ['heap 100', 'bind', 'heap 50'])
  t.same(tuneProcess({ HEAP_GROWING_PERCENT: 0, ASYNC_BIND_FIX: true }, { ...apply, fixBind: () => false }), { bindFixed: false }, 'not needed: not reported as replaced')
  t.equal(loadConfig({}).ASYNC_BIND_FIX, true, 'on by default')
  t.equal(loadConfig({ ASYNC_BIND_FIX: 'false' }).ASYNC_BIND_FIX, false)
  t.throws(() => loadConfig({ ASYNC_BIND_FIX: 'sometimes' }), /ASYNC_BIND_FIX/)
})
