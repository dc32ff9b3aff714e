/**
 * BoundedMap: never more keys than its bound; a new key past it drops the
 * oldest; setting a key it holds replaces the value without dropping any.
 */
import t from 'tap'
import { BoundedMap } from '../src/bounded-map.js'

t.test('the oldest key goes first, and only for a new key', async (t) => {
  const m = new BoundedMap<string, number>(2)
  m.set('a', 1).set('b', 2)
  m.set('a', 10)
  t.same([...m], [['a', 10], ['b', 2]], 'a held key is replaced in place')
  m.set('c', 3)
  t.same([...m], [['b', 2], ['c', 3]], 'a new key drops the oldest')
  for (let i = 0; i < 100; i++) m.set(`k${i}`, i)
  t.equal(m.size, 2)
  t.same([...m.keys()], ['k98', 'k99'])
})
