import t from 'tap'
import { appendVary, etagOf, ifNoneMatch, readHeaders } from '../../src/rest/cache-headers.js'
import { parseGrpcTimeout } from '../../src/rest/grpc-timeout.js'

// The headers the REST layer reads (Grpc-Timeout, If-None-Match) and writes (ETag, Cache-Control, X-Cache).

// Every unit of gRPC's TimeoutValue, in milliseconds, rounded up.
const good: Array<[string, number]> = [
  ['1H', 3_600_000],
  ['2M', 120_000],
  ['2S', 2_000],
  ['500m', 500],
  ['0m', 0],
  ['2500u', 3],
  ['100u', 1],
  ['1000000n', 1],
  ['1500000n', 2],
  ['99999999m', 99_999_999]
]
for (const [header, ms] of good) {
  t.test(`Grpc-Timeout ${header} is ${ms} ms`, async (t) => {
    t.equal(parseGrpcTimeout(header), ms)
  })
}

t.test('Grpc-Timeout is capped at the longest deadline, never lengthens it', async (t) => {
  t.equal(parseGrpcTimeout('99999999H', 5_000), 5_000, '3.6e11 ms would overflow a timer')
  t.equal(parseGrpcTimeout('5001m', 5_000), 5_000)
  t.equal(parseGrpcTimeout('50m', 5_000), 50, 'a shorter one stands')
  t.equal(parseGrpcTimeout(undefined, 5_000), undefined, 'absent stays absent: the default deadline')
})

t.test('no header, no timeout', async (t) => {
  t.equal(parseGrpcTimeout(undefined), undefined)
})

for (const header of ['', '5', 'S', '1.5S', '-1S', '100ms', '123456789m', '2s', '1 S', '1d', ['1S', '2S']]) {
  t.test(`Grpc-Timeout ${JSON.stringify(header)} is INVALID_ARGUMENT`, async (t) => {
    t.throws(() => parseGrpcTimeout(header), { code: 'VBGW_INVALID_ARGUMENT', statusCode: 400, message: /Grpc-Timeout/ })
  })
}

// ---- caching headers

t.test('without cache meta: ETag from the bytes, max-age from the TTL, no X-Cache', async (t) => {
  const h = readHeaders({ cache: 'none' }, '{"a":1}', 30_000)
  t.equal(h.etag, etagOf('{"a":1}'))
  t.match(h.etag, /^"[\w-]{27}"$/)
  t.not(etagOf('{"a":2}'), h.etag, 'other bytes, other tag')
  t.equal(h.cacheControl, 'private, max-age=30')
  t.equal(h.xCache, undefined)
})

t.test('with cache meta: the entry\'s ETag and remaining age win', async (t) => {
  t.same(readHeaders({ cache: 'hit', etag: 'abc', maxAgeMs: 12_900 }, '{}', 30_000), { etag: '"abc"', cacheControl: 'private, max-age=12', xCache: 'hit' })
  t.same(readHeaders({ cache: 'miss', etag: '"q"', maxAgeMs: 30_000 }, '{}', 5_000), { etag: '"q"', cacheControl: 'private, max-age=30', xCache: 'miss' })
  t.same(readHeaders({ cache: 'bypass', etag: 'W/"w"', maxAgeMs: 0 }, '{}', 30_000), { etag: 'W/"w"', cacheControl: 'private, max-age=0', xCache: 'miss' })
})

const matches: Array<[string | undefined, boolean]> = [
  [undefined, false],
  ['"abc"', true],
  ['W/"abc"', true],
  ['"x", "abc"', true],
  ['*', true],
  ['"abcd"', false],
  ['abc', false]
]
for (const [header, expected] of matches) {
  t.test(`If-None-Match ${String(header)} ${expected ? 'matches' : 'does not match'} "abc"`, async (t) => {
    t.equal(ifNoneMatch(header, '"abc"'), expected)
  })
}

// Vary: Authorization appended to what another plugin set (@fastify/cors' Origin), like @fastify/cors appends.
const varies: Array<[string | string[] | undefined, string]> = [
  [undefined, 'Authorization'],
  ['', 'Authorization'],
  ['Origin', 'Origin, Authorization'],
  [['Origin', 'Accept-Encoding'], 'Origin, Accept-Encoding, Authorization'],
  ['Origin, authorization', 'Origin, authorization'],
  ['*', '*'],
  ['Origin, *', 'Origin, *']
]
for (const [current, expected] of varies) {
  t.test(`Vary ${JSON.stringify(current)} with Authorization is ${JSON.stringify(expected)}`, async (t) => {
    t.equal(appendVary(current, 'Authorization'), expected)
  })
}
