/**
 * The weight-bounded LRU under the REST rendered bodies and the memory
 * cache (src/weighted-lru.ts): both bounds, the order of eviction, a read
 * refreshing an entry, and an entry heavier than the bound.
 */
import t from 'tap'
import { WeightedLru } from '../src/weighted-lru.js'

t.test('bounded by weight: least recently used out first; a read refreshes', async (t) => {
  const lru = new WeightedLru<string, number>(10)
  t.equal(lru.set('a', 1, 4), true)
  lru.set('b', 2, 4)
  t.equal(lru.get('a'), 1, 'a read refreshes a')
  lru.set('c', 3, 4)
  t.equal(lru.get('b'), undefined, 'b, the least recently used, went first')
  t.same([lru.get('a'), lru.get('c'), lru.size, lru.weight], [1, 3, 2, 8])
  lru.set('d', 4, 10)
  t.same([lru.size, lru.weight, lru.get('d')], [1, 10, 4], 'one entry of the whole weight pushes out all the others')
})

t.test('an entry heavier than the bound is refused, and pushes nothing out', async (t) => {
  const lru = new WeightedLru<string, string>(10)
  lru.set('a', 'x', 3)
  lru.set('b', 'y', 3)
  t.equal(lru.set('b', 'huge', 11), false)
  t.equal(lru.get('b'), undefined, 'the key set again holds nothing')
  t.same([lru.get('a'), lru.size, lru.weight], ['x', 1, 3], 'the others stay')
})

t.test('a key set again counts its new weight only; delete and clear give weight back', async (t) => {
  const lru = new WeightedLru<string, string>(100)
  lru.set('a', 'x', 30)
  lru.set('a', 'y', 20)
  t.same([lru.size, lru.weight, lru.get('a')], [1, 20, 'y'])
  t.equal(lru.delete('a'), true)
  t.equal(lru.delete('a'), false)
  t.equal(lru.weight, 0)
  lru.set('b', 'z', 5)
  lru.clear()
  t.same([lru.size, lru.weight], [0, 0])
})

t.test('bounded by count too, when given one', async (t) => {
  const lru = new WeightedLru<number, number>(Infinity, 2)
  for (let i = 0; i < 5; i++) lru.set(i, i, 1)
  t.same([lru.size, lru.get(3), lru.get(4), lru.get(2)], [2, 3, 4, undefined])
})

t.test('when every entry was read, each gets one second chance, then the oldest goes: the bounds always hold', async (t) => {
  const lru = new WeightedLru<string, number>(12)
  for (const [key, value] of [['a', 1], ['b', 2], ['c', 3]] as const) lru.set(key, value, 4)
  t.same([lru.get('a'), lru.get('b'), lru.get('c')], [1, 2, 3])
  lru.set('d', 4, 4)
  t.same([lru.size, lru.weight], [3, 12], 'back within the weight')
  t.equal(lru.get('a'), undefined, 'a, read first of the three, went')
  t.same([lru.get('b'), lru.get('c'), lru.get('d')], [2, 3, 4])
  lru.set('e', 5, 8)
  t.same([lru.size, lru.weight, lru.get('b'), lru.get('e')], [2, 12, undefined, 5], 'read again, they are pushed out in the same order')
})

t.test('a count bound below one entry is refused', async (t) => {
  t.throws(() => new WeightedLru<string, number>(10, 0), RangeError)
})

