/**
 * Rate limiting and load shedding. Per principal (the hash of the
 * Authorization value, keyed with PRINCIPAL_HASH_SECRET when set) or per IP
 * without one: past RATE_LIMIT_MAX, 429 with Retry-After and a
 * RESOURCE_EXHAUSTED body, before any upstream call; the ops routes and CORS
 * preflights are exempt. Under pressure (event-loop
 * delay or heap over their limits) every request but the ops routes gets a
 * 503 with Retry-After at once.
 */
import t from 'tap'
import { principalHasher } from '../../src/cache/keys.js'
import { clientAddressKey, heapLimitBytes, ipRateLimitMax, rateLimitKey, retryIn, SHEDDING_MESSAGE } from '../../src/http/load-shedding.js'
import { DEMO_ORG_ID, DEMO_SERVICE_IDS, DEV_TOKEN } from '../../src/simulator/index.js'
import { buildTestApp, waitFor } from '../helpers/app.js'

const [CATALOG] = DEMO_SERVICE_IDS
const LIST = `/v1/vbase/${CATALOG}/backup`
const BEARER = `Bearer ${DEV_TOKEN}`

t.test('rate limit per principal', async (t) => {
  const { app, sim } = await buildTestApp(t, { env: { RATE_LIMIT_MAX: '3' }, simulator: { tokens: `${DEV_TOKEN}=${DEMO_ORG_ID},other-token=${DEMO_ORG_ID}` } })
  for (let i = 0; i < 3; i++) {
    const res = await app.inject({ url: LIST, headers: { authorization: BEARER, 'cache-control': 'no-cache' } })
    t.equal(res.statusCode, 200, `request ${i + 1}`)
    t.equal(res.headers['x-ratelimit-remaining'], String(2 - i))
  }
  sim.resetCalls()
  const limited = await app.inject({ url: LIST, headers: { authorization: BEARER, 'cache-control': 'no-cache' } })
  t.equal(limited.statusCode, 429)
  t.match(limited.headers['retry-after'], /^\d+$/)
  t.ok(Number(limited.headers['retry-after']) > 0 && Number(limited.headers['retry-after']) <= 60, 'within the window')
  t.same(limited.json(), { code: 8, message: 'rate limit exceeded, retry in 1 minute', details: [] }, 'RESOURCE_EXHAUSTED')
  t.equal(sim.callCount(), 0, 'the simulator saw no call')

  const graphql = await app.inject({ method: 'POST', url: '/graphql', headers: { authorization: BEARER, 'content-type': 'application/json' }, payload: { query: '{ __typename }' } })
  t.equal(graphql.statusCode, 429, '/graphql shares the budget')
  t.same(graphql.json().errors[0].extensions, { code: 'RESOURCE_EXHAUSTED', grpcStatus: 'RESOURCE_EXHAUSTED' })
  t.match(graphql.headers['retry-after'], /^\d+$/)

  const other = await app.inject({ url: LIST, headers: { authorization: 'Bearer other-token' } })
  t.equal(other.statusCode, 200, 'another principal has its own budget')
  const anonymous = await app.inject({ url: '/openapi.json' })
  t.equal(anonymous.statusCode, 200, 'so does a caller without a token')

  for (const url of ['/healthz', '/readyz', '/metrics']) {
    for (let i = 0; i < 4; i++) {
      const res = await app.inject({ url, headers: { authorization: BEARER } })
      t.not(res.statusCode, 429, `${url} is exempt (${i + 1})`)
    }
  }
})

t.test('rate limit per IP without a token, behind TRUST_PROXY hops', async (t) => {
  const { app } = await buildTestApp(t, { env: { RATE_LIMIT_MAX: '2', TRUST_PROXY: '1' } })
  const from = (ip: string): Promise<number> => app.inject({ url: '/openapi.json', headers: { 'x-forwarded-for': ip } }).then((r) => r.statusCode)
  t.same([await from('203.0.113.1'), await from('203.0.113.1'), await from('203.0.113.1')], [200, 200, 429])
  t.equal(await from('203.0.113.2'), 200, 'another client address has its own budget')
  // Unknown paths count too: a scan is limited like any other traffic.
  t.equal((await app.inject({ url: '/nope', headers: { 'x-forwarded-for': '203.0.113.1' } })).statusCode, 429)
})

t.test('rotating made-up tokens does not escape the per-IP limit', async (t) => {
  // RATE_LIMIT_IP_MAX unset: 4 x RATE_LIMIT_MAX = 8 per IP, whatever the tokens.
  const { app, sim } = await buildTestApp(t, { env: { RATE_LIMIT_MAX: '2' } })
  const codes: number[] = []
  for (let i = 0; i < 10; i++) {
    codes.push((await app.inject({ url: LIST, headers: { authorization: `Bearer junk-${i}` } })).statusCode)
  }
  t.same(codes, [401, 401, 401, 401, 401, 401, 401, 401, 429, 429], 'each token has its own budget, the address does not')
  t.equal(sim.callCount(), 8, 'the ninth and tenth never reached the upstream')
  const limited = await app.inject({ url: LIST, headers: { authorization: 'Bearer junk-new' } })
  t.equal(limited.statusCode, 429)
  t.match(limited.headers['retry-after'], /^\d+$/)
  t.same(limited.json(), { code: 8, message: 'rate limit exceeded, retry in 1 minute', details: [] })
  for (const url of ['/healthz', '/readyz', '/metrics']) t.not((await app.inject(url)).statusCode, 429, `${url} is exempt`)
})

t.test("a 429 of the per-IP limit carries that limit's headers, not the caller's; a caller refused by its own limit leaves its address's alone", async (t) => {
  const { app } = await buildTestApp(t, { env: { RATE_LIMIT_MAX: '5', RATE_LIMIT_IP_MAX: '3', TRUST_PROXY: '1' } })
  const from = (ip: string) => app.inject({ url: '/openapi.json', headers: { authorization: BEARER, 'x-forwarded-for': ip } })
  for (let i = 0; i < 3; i++) t.equal((await from('203.0.113.1')).headers['x-ratelimit-remaining'], String(4 - i), 'the caller\'s budget')
  const limited = await from('203.0.113.1')
  t.equal(limited.statusCode, 429)
  t.match(limited.headers, { 'x-ratelimit-limit': '3', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': /^\d+$/, 'retry-after': /^\d+$/ }, 'the limit that refused it')
  t.equal(limited.headers['x-ratelimit-reset'], limited.headers['retry-after'])

  // Principal first: refusals by a caller's own limit do not use up the address's.
  const { app: second } = await buildTestApp(t, { env: { RATE_LIMIT_MAX: '2', RATE_LIMIT_IP_MAX: '3', TRUST_PROXY: '1' } })
  const codes: number[] = []
  for (let i = 0; i < 4; i++) codes.push((await second.inject({ url: '/openapi.json', headers: { authorization: BEARER, 'x-forwarded-for': '203.0.113.5' } })).statusCode)
  t.same(codes, [200, 200, 429, 429], 'the caller is refused by its own limit')
  const neighbour = await second.inject({ url: '/openapi.json', headers: { authorization: 'Bearer a-neighbour', 'x-forwarded-for': '203.0.113.5' } })
  t.equal(neighbour.statusCode, 200, 'and a neighbour behind the same address is not: the refused ones did not count for it')
})

t.test('the scheme of a bearer credential is spelled any way: one caller, one budget', async (t) => {
  const { app } = await buildTestApp(t, { env: { RATE_LIMIT_MAX: '3' } })
  const codes: number[] = []
  for (const authorization of [BEARER, BEARER.replace('Bearer', 'bearer'), BEARER.replace('Bearer', 'BEARER'), BEARER.replace('Bearer ', 'Bearer   ')]) {
    codes.push((await app.inject({ url: '/openapi.json', headers: { authorization } })).statusCode)
  }
  t.same(codes, [200, 200, 200, 429], 'the fourth spelling is the fourth request of the same caller')
})

t.test('a GraphQL batch counts once per operation, against both limits, before any operation runs', async (t) => {
  const { app, sim } = await buildTestApp(t, { env: { RATE_LIMIT_MAX: '5', RATE_LIMIT_IP_MAX: '8', TRUST_PROXY: '1' } })
  const op = { query: `{ service(id: "${CATALOG}") { backups { totalCount } } }` }
  const batch = (n: number, authorization = BEARER, ip = '203.0.113.9') => app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { authorization, 'content-type': 'application/json', 'cache-control': 'no-cache', 'x-forwarded-for': ip },
    payload: Array.from({ length: n }, () => op)
  })

  const three = await batch(3)
  t.equal(three.statusCode, 200)
  t.equal(three.headers['x-ratelimit-remaining'], '2', 'three of five used')
  sim.resetCalls()
  const over = await batch(3)
  t.equal(over.statusCode, 429, 'six operations in a window of five: the batch is refused whole')
  t.match(over.headers, { 'x-ratelimit-limit': '5', 'x-ratelimit-remaining': '0', 'retry-after': /^\d+$/ })
  t.same(over.json(), { errors: [{ message: 'rate limit exceeded, retry in 1 minute', extensions: { code: 'RESOURCE_EXHAUSTED', grpcStatus: 'RESOURCE_EXHAUSTED' } }] })
  t.equal(sim.callCount(), 0, 'none of its operations ran')
  t.equal((await batch(1)).statusCode, 429, 'its operations were counted')

  // Two made-up tokens, each a fresh budget of five: only the address's eight can hold them.
  t.equal((await batch(2, 'Bearer made-up-1', '203.0.113.10')).statusCode, 200)
  t.equal((await batch(4, 'Bearer made-up-2', '203.0.113.10')).statusCode, 200, 'six of the address\'s eight')
  const ipOver = await batch(3, 'Bearer made-up-3', '203.0.113.10')
  t.equal(ipOver.statusCode, 429, 'nine operations from one address')
  t.match(ipOver.headers, { 'x-ratelimit-limit': '8', 'x-ratelimit-remaining': '0' }, 'refused by the per-IP limit, with its headers')

  const single = await app.inject({ method: 'POST', url: '/graphql', headers: { authorization: 'Bearer another', 'content-type': 'application/json', 'x-forwarded-for': '203.0.113.11' }, payload: op })
  t.equal(single.headers['x-ratelimit-remaining'], '4', 'an operation alone counts once')
})

t.test('an IPv6 client is one client per /64: new addresses in it get no fresh budget', async (t) => {
  const { app, sim } = await buildTestApp(t, { env: { RATE_LIMIT_MAX: '2', RATE_LIMIT_IP_MAX: '3' } })
  // A made-up token per request, so only the per-IP limit can hold.
  let token = 0
  const from = async (remoteAddress: string): Promise<number> =>
    (await app.inject({ url: LIST, remoteAddress, headers: { authorization: `Bearer made-up-${++token}` } })).statusCode
  const codes: number[] = []
  for (let i = 1; i <= 5; i++) codes.push(await from(`2001:db8:1:2::${i.toString(16)}`))
  t.same(codes, [401, 401, 401, 429, 429], 'five addresses of 2001:db8:1:2::/64 share one budget of 3')
  t.equal(sim.callCount(), 3, 'the limited ones never reached the upstream')
  t.equal(await from('2001:db8:1:2:ffff:ffff:ffff:ffff'), 429, 'the last address of the /64 too')
  t.equal(await from('2001:DB8:1:2:0:0:0:7'), 429, 'written uncompressed, upper case')
  t.equal(await from('2001:db8:1:3::1'), 401, 'the next /64 has its own budget')

  const v4: number[] = []
  for (let i = 0; i < 4; i++) v4.push(await from('192.0.2.7'))
  t.same(v4, [401, 401, 401, 429], 'an IPv4 address has its budget of 3')
  t.equal(await from('::ffff:192.0.2.7'), 429, 'the same address, IPv4-mapped, shares it')
  t.equal(await from('192.0.2.8'), 401, 'the next IPv4 address has its own')

  // Without a token the per-principal limit (2) keys by the same /64.
  const anonymous: number[] = []
  for (let i = 1; i <= 3; i++) anonymous.push((await app.inject({ url: '/openapi.json', remoteAddress: `2001:db8:9:9::${i}` })).statusCode)
  t.same(anonymous, [200, 200, 429], 'anonymous callers of one /64 share the per-principal budget')
})

t.test('the client address key: IPv4 as is, IPv6 by its /64', async (t) => {
  const cases: Array<[string, string, string]> = [
    ['192.0.2.7', 'ip:192.0.2.7', 'IPv4 as is'],
    ['2001:db8:1:2::1', 'ip:2001:db8:1:2::', 'IPv6: its /64'],
    ['2001:db8:1:2:aaaa:bbbb:cccc:dddd', 'ip:2001:db8:1:2::', 'the host half dropped'],
    ['2001:0DB8:0001:0002:0000:0000:0000:0001', 'ip:2001:db8:1:2::', 'uncompressed, upper case'],
    ['2001:db8:1:3::1', 'ip:2001:db8:1:3::', 'the next /64'],
    ['2001:db8::1', 'ip:2001:db8::', ':: spanning the prefix'],
    ['::1', 'ip:::', 'loopback'],
    ['::ffff:192.0.2.7', 'ip:192.0.2.7', 'IPv4-mapped: the IPv4 address'],
    ['::ffff:c000:207', 'ip:192.0.2.7', 'IPv4-mapped, in hex'],
    ['fe80::1%eth0', 'ip:fe80::', 'zone id dropped'],
    ['fe80::abcd%1', 'ip:fe80::', 'numeric zone id dropped']
  ]
  for (const [ip, key, why] of cases) t.equal(clientAddressKey(ip), key, `${ip}: ${why}`)
  t.equal(clientAddressKey(undefined), 'ip:unknown', 'no address (the socket is gone): no throw')
  type Request = Parameters<ReturnType<typeof rateLimitKey>>[0]
  t.equal(rateLimitKey(principalHasher())({ headers: {}, ip: '2001:db8:1:2::99' } as unknown as Request), 'ip:2001:db8:1:2::',
    'the per-principal limit keys anonymous callers the same way')
})

t.test('RATE_LIMIT_IP_MAX sets the per-IP cap; 0 turns it off', async (t) => {
  t.equal(ipRateLimitMax({ RATE_LIMIT_MAX: 600 }), 2400)
  t.equal(ipRateLimitMax({ RATE_LIMIT_MAX: 600, RATE_LIMIT_IP_MAX: 50 }), 50)
  t.equal(retryIn(60), '1 minute')
  t.equal(retryIn(1), '1 second')
  t.equal(retryIn(30), '30 seconds')
  const { app } = await buildTestApp(t, { env: { RATE_LIMIT_MAX: '2', RATE_LIMIT_IP_MAX: '0' } })
  const codes: number[] = []
  for (let i = 0; i < 10; i++) codes.push((await app.inject({ url: '/openapi.json', headers: { authorization: `Bearer junk-${i}` } })).statusCode)
  t.same(codes, Array(10).fill(200), 'only the per-principal limit applies')
})

t.test('CORS preflights are not counted', async (t) => {
  const { app } = await buildTestApp(t, { env: { RATE_LIMIT_MAX: '1', CORS_ORIGINS: 'https://console.example.com' } })
  for (let i = 0; i < 3; i++) {
    const res = await app.inject({ method: 'OPTIONS', url: '/graphql', headers: { origin: 'https://console.example.com', 'access-control-request-method': 'POST' } })
    t.equal(res.statusCode, 204, `preflight ${i + 1}`)
  }
})

t.test('RATE_LIMIT_MAX=0 turns rate limiting off', async (t) => {
  const { app } = await buildTestApp(t, { env: { RATE_LIMIT_MAX: '0' } })
  const res = await app.inject('/openapi.json')
  t.equal(res.headers['x-ratelimit-limit'], undefined)
})

t.test('the key is a hash of the credential, never the credential; keyed with the secret when set', async (t) => {
  type Request = Parameters<ReturnType<typeof rateLimitKey>>[0]
  const request = (headers: Record<string, string>, ip = '192.0.2.7'): Request => ({ headers, ip }) as Request
  for (const secret of [undefined, 'rate-limit-key-secret-0123']) {
    const principal = principalHasher(secret)
    const keyOf = rateLimitKey(principal)
    const key = keyOf(request({ authorization: 'Bearer s3cr3t-token' }))
    t.equal(key, `principal:${principal('Bearer s3cr3t-token')}`, `the app's principal (${secret === undefined ? 'unkeyed' : 'keyed'})`)
    t.match(key, /^principal:[0-9a-f]{32}$/)
    t.notMatch(key, /s3cr3t/)
    t.equal(keyOf(request({ authorization: 'Bearer s3cr3t-token' }, '192.0.2.8')), key, 'the same principal from anywhere')
    t.not(keyOf(request({ authorization: 'Bearer other' })), key)
    t.equal(keyOf(request({})), 'ip:192.0.2.7')
  }
  t.not(rateLimitKey(principalHasher('rate-limit-key-secret-0123'))(request({ authorization: 'Bearer s3cr3t-token' })),
    rateLimitKey(principalHasher())(request({ authorization: 'Bearer s3cr3t-token' })), 'the secret changes the key')
})

t.test('load shedding on heap pressure', async (t) => {
  // A heap limit no process can be under: shedding starts at the first sample (1 s).
  const { app, sim } = await buildTestApp(t, { env: { PRESSURE_MAX_HEAP_RATIO: '0.000001', PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0' } })
  await waitFor(async () => (await app.inject({ url: LIST, headers: { authorization: BEARER } })).statusCode === 503)
  sim.resetCalls()
  const res = await app.inject({ url: LIST, headers: { authorization: BEARER } })
  t.equal(res.statusCode, 503)
  t.equal(res.headers['retry-after'], '1')
  t.same(res.json(), { code: 14, message: 'the gateway is overloaded, try again shortly', details: [] })
  t.equal(sim.callCount(), 0, 'the simulator saw no call')
  const graphql = await app.inject({ method: 'POST', url: '/graphql', headers: { authorization: BEARER, 'content-type': 'application/json' }, payload: { query: '{ __typename }' } })
  t.equal(graphql.statusCode, 503)
  t.equal(graphql.headers['retry-after'], '1')
  t.equal(graphql.json().errors[0].extensions.code, 'UPSTREAM_UNAVAILABLE')
  for (const url of ['/healthz', '/readyz', '/metrics']) t.not((await app.inject(url)).statusCode, 503, `${url} still answers`)
})

t.test('shed requests: one warn line per interval, the others at debug, each with its access line', async (t) => {
  const { app, logs } = await buildTestApp(t, { env: { PRESSURE_MAX_HEAP_RATIO: '0.000001', PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '0', LOG_LEVEL: 'debug' } })
  await waitFor(async () => (await app.inject({ url: LIST, headers: { authorization: BEARER } })).statusCode === 503)
  for (let i = 0; i < 20; i++) t.equal((await app.inject({ url: LIST, headers: { authorization: BEARER } })).statusCode, 503)
  const shed = logs.map((l) => JSON.parse(l) as { level: number, msg: string, suppressed?: number }).filter((l) => l.msg === SHEDDING_MESSAGE)
  t.ok(shed.length >= 21, `every shed request has its line (${shed.length})`)
  t.equal(shed.filter((l) => l.level === 40).length, 1, 'one at warn within the interval')
  t.equal(shed.find((l) => l.level === 40)?.suppressed, 0)
  t.ok(shed.filter((l) => l.level === 20).length >= 20, 'the others at debug')
})

t.test('load shedding on event-loop delay', async (t) => {
  const { app } = await buildTestApp(t, { env: { PRESSURE_MAX_EVENT_LOOP_DELAY_MS: '1', PRESSURE_MAX_HEAP_RATIO: '0' } })
  // Hold the event loop busy between polls: the mean delay of the next sample is far over 1 ms.
  await waitFor(async () => {
    const until = Date.now() + 150
    while (Date.now() < until) { /* busy: the delay under test */ }
    return (await app.inject('/openapi.json')).statusCode === 503
  }, 10_000, 1)
  t.pass('shed while the event loop lags')
})

t.test('the heap limit', async (t) => {
  t.equal(heapLimitBytes(0, 4e9), 0, '0 is off')
  t.equal(heapLimitBytes(0.9, 4e9), 3.6e9)
  t.equal(heapLimitBytes(1e-12, 4e9), 1, 'a tiny ratio is still on')
})
