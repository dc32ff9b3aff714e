/**
 * The log throttle under the cache guard's, the shared rate limit's and the
 * log drops' warnings (src/log-throttle.ts): one line per interval, and the
 * next line says how many were held back.
 */
import t from 'tap'
import { LogThrottle } from '../src/log-throttle.js'

t.test('one line per interval; the next one counts those held back', async (t) => {
  let now = 1000
  const throttle = new LogThrottle(100, () => now)
  t.equal(throttle.pass(), 0, 'the first line passes, nothing held back')
  t.equal(throttle.pass(), undefined, 'a second within the interval is held back')
  now += 99
  t.equal(throttle.pass(), undefined, 'still within it')
  now += 1
  t.equal(throttle.pass(), 2, 'at the interval, a line passes and counts the two held back')
  now += 500
  t.equal(throttle.pass(), 0, 'and the count starts again')
})

t.test('an interval of 0 lets every line through', async (t) => {
  const throttle = new LogThrottle(0, () => 5)
  t.same([throttle.pass(), throttle.pass(), throttle.pass()], [0, 0, 0])
})

t.test('warnOrDebug: the first line of an interval at warn, with the count held back; the others at debug', async (t) => {
  let now = 0
  const throttle = new LogThrottle(1000, () => now)
  const lines: Array<[string, object, string]> = []
  const log = { warn: (o: object, m: string) => { lines.push(['warn', o, m]) }, debug: (o: object, m: string) => { lines.push(['debug', o, m]) } }
  throttle.warnOrDebug(log, { n: 1 }, 'event')
  throttle.warnOrDebug(log, { n: 2 }, 'event')
  throttle.warnOrDebug(log, { n: 3 }, 'event')
  now = 1000
  throttle.warnOrDebug(log, { n: 4 }, 'event')
  t.same(lines, [
    ['warn', { n: 1, suppressed: 0 }, 'event'],
    ['debug', { n: 2 }, 'event'],
    ['debug', { n: 3 }, 'event'],
    ['warn', { n: 4, suppressed: 2 }, 'event']
  ])
})
