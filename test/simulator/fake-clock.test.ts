import t from 'tap'
import { systemClock } from '../../src/simulator/index.js'
import { FAKE_EPOCH, FakeClock } from '../helpers/clock.js'

t.test('FakeClock runs due timers in time order, including ones set on the way', async (t) => {
  const clock = new FakeClock()
  t.equal(clock.now(), FAKE_EPOCH)
  const seen: string[] = []
  clock.setTimeout(() => seen.push(`b@${clock.now() - FAKE_EPOCH}`), 20)
  clock.setTimeout(() => {
    seen.push(`a@${clock.now() - FAKE_EPOCH}`)
    clock.setTimeout(() => seen.push(`nested@${clock.now() - FAKE_EPOCH}`), 5)
    clock.setTimeout(() => seen.push('too-late'), 100)
  }, 10)
  clock.setTimeout(() => seen.push(`b2@${clock.now() - FAKE_EPOCH}`), 20)
  const cancelled = clock.setTimeout(() => seen.push('cancelled'), 15)
  clock.clearTimeout(cancelled)
  clock.advance(50)
  t.same(seen, ['a@10', 'nested@15', 'b@20', 'b2@20'], 'time order, ties in insertion order, nested within the window')
  t.equal(clock.now(), FAKE_EPOCH + 50)
  t.equal(clock.pending, 1)
  clock.advanceTo(FAKE_EPOCH + 110)
  t.same(seen.at(-1), 'too-late')
  t.throws(() => clock.advance(-1), RangeError)
})

t.test('systemClock', async (t) => {
  t.ok(Math.abs(systemClock.now() - Date.now()) < 1000)
  let fired = false
  const handle = systemClock.setTimeout(() => { fired = true }, 10)
  systemClock.clearTimeout(handle)
  await new Promise((resolve) => setTimeout(resolve, 30))
  t.equal(fired, false, 'clearTimeout cancels')
})
