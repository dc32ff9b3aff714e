import { X509Certificate } from 'node:crypto'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { loadConfig } from '../src/config.js'
import { ROOT_DIR } from '../src/upstream/contract.js'

const FIXTURE_CA = path.join(ROOT_DIR, 'test', 'fixtures', 'tls', 'ca.pem')

t.test('defaults', async (t) => {
  const c = loadConfig({})
  t.equal(c.HOST, '127.0.0.1')
  t.equal(c.PORT, 4000)
  t.equal(c.VBASE_UPSTREAM, undefined)
  t.equal(c.UPSTREAM_TIMEOUT_MS, 5000)
  t.equal(c.CACHE_TTL_MS, 30000)
  t.equal(c.SIM_PORT, 50051)
})

t.test('a bad value says what is allowed: enum values listed, patterns described, never the value', async (t) => {
  const cases: Array<[Record<string, string>, string]> = [
    [{ LOG_LEVEL: 'verbose' }, 'LOG_LEVEL must be one of: fatal, error, warn, info, debug, trace, silent'],
    [{ REST_JSON_NAMES: 'camel' }, 'REST_JSON_NAMES must be one of: proto, json'],
    [{ VBASE_UPSTREAM: 'localhost' }, 'VBASE_UPSTREAM must be host:port or [IPv6]:port, e.g. vbase.internal:443'],
    [{ CORS_ORIGINS: 'example.com' }, 'CORS_ORIGINS must be * or comma-separated origins, scheme and host only, e.g. https://app.example.com'],
    [{ SIM_TOKENS: 'abc' }, 'SIM_TOKENS must be token=organization-UUID pairs, comma-separated'],
    [{ CACHE_REDIS_URL: 'http://user:hunter2@x' }, 'CACHE_REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379/0'],
    [{ PORT: 'abc' }, 'PORT must be integer']
  ]
  for (const [env, message] of cases) {
    t.throws(() => loadConfig(env), { code: 'VBGW_INVALID_CONFIG', message: `invalid configuration: ${message}` }, Object.keys(env).join())
  }
})

t.test('a bad value names the variable', async (t) => {
  const cases: Array<[Record<string, string>, RegExp]> = [
    [{ PORT: 'abc' }, /PORT/],
    [{ VBASE_UPSTREAM: 'no-port' }, /VBASE_UPSTREAM/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ SIM_TOKENS: 'tok=not-a-uuid' }, /SIM_TOKENS/],
    [{ VBASE_TLS_INSECURE: 'true' }, /VBASE_TLS/],
    [{ RATE_LIMIT_SHARED: 'true' }, /RATE_LIMIT_SHARED needs CACHE_REDIS_URL/],
    [{ VBASE_TLS: 'true' }, /VBASE_UPSTREAM/]
  ]
  for (const [env, re] of cases) {
    t.throws(() => loadConfig(env), { code: 'VBGW_INVALID_CONFIG', message: re }, JSON.stringify(env))
  }
})

t.test('SIM_TOKENS of the right shape but not the right content stops the boot here, not at the simulator: the entry named by position, never the token', async (t) => {
  const org = '7c9e6679-7425-40de-944b-e07fc1f90ae7'
  const cases: Array<[string, string]> = [
    [`tok=${'-'.repeat(36)}`, 'SIM_TOKENS entry 1: the organization must be a UUID'],
    [`secret-a=${org},secret-a=${org}`, 'SIM_TOKENS entry 2 repeats a token']
  ]
  for (const [value, message] of cases) {
    t.throws(() => loadConfig({ SIM_TOKENS: value }), { code: 'VBGW_INVALID_CONFIG', message: `invalid configuration: ${message}` })
  }
  t.equal(loadConfig({ SIM_TOKENS: `secret-a=${org}` }).SIM_TOKENS, `secret-a=${org}`, 'a good one passes')
})

t.test('typed values', async (t) => {
  const c = loadConfig({ PORT: '8080', VBASE_UPSTREAM: 'vbase:443', VBASE_TLS: 'true', SIM_SEED: 'false' })
  t.equal(c.PORT, 8080)
  t.equal(c.VBASE_TLS, true)
  t.equal(c.SIM_SEED, false)
})

t.test('GRAPHQL_DOCUMENT_CACHE: 32 by default, a positive integer', async (t) => {
  t.equal(loadConfig({}).GRAPHQL_DOCUMENT_CACHE, 32)
  t.equal(loadConfig({ GRAPHQL_DOCUMENT_CACHE: '256' }).GRAPHQL_DOCUMENT_CACHE, 256)
  for (const value of ['0', '-1', '1.5']) {
    t.throws(() => loadConfig({ GRAPHQL_DOCUMENT_CACHE: value }), { code: 'VBGW_INVALID_CONFIG', message: /GRAPHQL_DOCUMENT_CACHE/ }, value)
  }
})

t.test('GRAPHQL_MAX_QUERY_BYTES: 32 KiB by default, a positive integer', async (t) => {
  t.equal(loadConfig({}).GRAPHQL_MAX_QUERY_BYTES, 32768)
  t.equal(loadConfig({ GRAPHQL_MAX_QUERY_BYTES: '4096' }).GRAPHQL_MAX_QUERY_BYTES, 4096)
  for (const value of ['0', '-1', '1.5', 'big']) {
    t.throws(() => loadConfig({ GRAPHQL_MAX_QUERY_BYTES: value }), { code: 'VBGW_INVALID_CONFIG', message: /GRAPHQL_MAX_QUERY_BYTES/ }, value)
  }
})

t.test('an empty value means unset', async (t) => {
  const c = loadConfig({ VBASE_UPSTREAM: '', PORT: '' })
  t.equal(c.VBASE_UPSTREAM, undefined)
  t.equal(c.PORT, 4000)
})

t.test('an empty value in the process environment means unset too, as compose passes ${VAR:-}; a given environment is all that is read', async (t) => {
  const set = { PRINCIPAL_HASH_SECRET: '', SIM_TOKENS: '', VBASE_UPSTREAM: '', CORS_ORIGINS: '', LOG_LEVEL: '', CACHE_TTL_MS: '' }
  const saved = Object.fromEntries(Object.keys(set).map((k) => [k, process.env[k]]))
  t.teardown(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  })
  Object.assign(process.env, set)
  const c = loadConfig()
  t.equal(c.PRINCIPAL_HASH_SECRET, undefined)
  t.equal(c.SIM_TOKENS, undefined)
  t.equal(c.VBASE_UPSTREAM, undefined)
  t.equal(c.LOG_LEVEL, 'info')
  t.equal(c.CACHE_TTL_MS, 30000)
  process.env.CACHE_TTL_MS = 'soon'
  t.throws(() => loadConfig(), { code: 'VBGW_INVALID_CONFIG', message: /CACHE_TTL_MS/ }, 'the process environment is read when none is given')
  t.equal(loadConfig({}).CACHE_TTL_MS, 30000, 'and only then')
})

t.test('PRINCIPAL_HASH_SECRET: optional; shorter than 16 characters stops the boot, naming the variable, never quoting the value', async (t) => {
  t.equal(loadConfig({}).PRINCIPAL_HASH_SECRET, undefined, 'unset is allowed: the unkeyed hash')
  t.equal(loadConfig({ PRINCIPAL_HASH_SECRET: '' }).PRINCIPAL_HASH_SECRET, undefined, 'empty is unset, as compose writes ${VAR:-}')
  t.equal(loadConfig({ PRINCIPAL_HASH_SECRET: '0123456789abcdef' }).PRINCIPAL_HASH_SECRET, '0123456789abcdef', '16 characters are enough')
  const short = 'tooshort-secret'
  t.equal(short.length, 15)
  t.throws(() => loadConfig({ PRINCIPAL_HASH_SECRET: short }), {
    code: 'VBGW_INVALID_CONFIG',
    message: 'invalid configuration: PRINCIPAL_HASH_SECRET must NOT have fewer than 16 characters'
  }, 'a clear error, without the value')
})

t.test('CACHE_REDIS_URL: parsed as ioredis parses it; a bad one names the variable and quotes no part of the value', async (t) => {
  // A password as `openssl rand -base64` makes one, with /, + and #.
  const password = 'Zk9x/Qw3+Lm8Tr2V#'
  const bad: Array<[string, RegExp]> = [
    [`redis://:${password}@127.0.0.1:6391/8`, /CACHE_REDIS_URL is not a valid URL; percent-encode special characters/],
    // An unencoded / or # after digits parses, with the password's start as host:port and the rest as path or fragment.
    ['redis://user:123/Qw3@127.0.0.1:6391', /CACHE_REDIS_URL does not have the form .*percent-encode special characters/],
    ['redis://user:123#Qw3@127.0.0.1:6391', /CACHE_REDIS_URL does not have the form .*percent-encode special characters/],
    ['redis://user:123?Qw3@127.0.0.1:6391', /CACHE_REDIS_URL does not have the form .*percent-encode special characters/],
    ['redis://:Qw3%zz@127.0.0.1:6391', /CACHE_REDIS_URL has a malformed %-escape in the user name or password/],
    ['redis://127.0.0.1:99999', /CACHE_REDIS_URL is not a valid URL/],
    ['redis://127.0.0.1:0', /CACHE_REDIS_URL port must be between 1 and 65535/],
    ['redis://127.0.0.1?port=70000', /CACHE_REDIS_URL port must be between 1 and 65535/],
    ['redis://127.0.0.1:6379/cache', /CACHE_REDIS_URL database index .* must be a number/],
    ['redis://127.0.0.1:6379/0/1', /CACHE_REDIS_URL database index .* must be a number/],
    ['redis://127.0.0.1:6379?db=one', /CACHE_REDIS_URL database index .* must be a number/],
    ['redis://:6379/0', /CACHE_REDIS_URL/]
  ]
  for (const [url, message] of bad) {
    const err = t.throws(() => loadConfig({ CACHE_REDIS_URL: url }), { code: 'VBGW_INVALID_CONFIG', message }, url) as Error
    for (const part of ['Zk9x', 'Qw3', '123']) t.notMatch(err.message, part, `${url}: no part of the value in the message`)
  }
  const good = [
    'redis://:Zk9x%2FQw3%2BLm8Tr2V%23@127.0.0.1:6391/8',
    'rediss://default:s3cret@cache.example.internal:6380/2',
    'redis://127.0.0.1:6379',
    'redis://127.0.0.1/',
    'redis://[::1]:6379/15',
    // ioredis reads options from the query: a password there may hold an @.
    'redis://127.0.0.1:6379/0?password=a@b'
  ]
  for (const url of good) t.equal(loadConfig({ CACHE_REDIS_URL: url }).CACHE_REDIS_URL, url, `${url} is accepted`)
})

t.test('VBASE_UPSTREAM: the port is 1 to 65535; an IPv6 literal goes in brackets', async (t) => {
  for (const upstream of ['localhost:99999', 'localhost:65536', 'localhost:0', '[::1]:70000', '::1:50051', '[vbase]:443']) {
    t.throws(() => loadConfig({ VBASE_UPSTREAM: upstream }), { code: 'VBGW_INVALID_CONFIG', message: /VBASE_UPSTREAM/ }, upstream)
  }
  for (const upstream of ['localhost:1', 'vbase.example.internal:65535', '10.0.0.7:443', '[::1]:50051', '[2001:db8::7]:443']) {
    t.equal(loadConfig({ VBASE_UPSTREAM: upstream }).VBASE_UPSTREAM, upstream, `${upstream} is accepted`)
  }
})

t.test('VBASE_TLS_CA: a file that cannot be read stops the boot, naming the variable and the reason', async (t) => {
  const dir = t.testdir({ 'ca.pem': readFileSync(FIXTURE_CA, 'latin1') })
  const tls = { VBASE_TLS: 'true', VBASE_UPSTREAM: 'vbase:443' }
  const missing = path.join(dir, 'missing.pem')
  t.throws(() => loadConfig({ ...tls, VBASE_TLS_CA: missing }), {
    code: 'VBGW_INVALID_CONFIG',
    message: `invalid configuration: VBASE_TLS_CA cannot be read: ${missing}: file not found`
  })
  t.throws(() => loadConfig({ ...tls, VBASE_TLS_CA: dir }), { code: 'VBGW_INVALID_CONFIG', message: /VBASE_TLS_CA cannot be read: .*: a directory/ })
  const readable = path.join(dir, 'ca.pem')
  t.equal(loadConfig({ ...tls, VBASE_TLS_CA: readable }).VBASE_TLS_CA, readable)
})

t.test('VBASE_TLS_CA: a file without a readable certificate stops the boot; a bundle of good ones boots', async (t) => {
  const ca = readFileSync(FIXTURE_CA, 'latin1')
  const other = readFileSync(path.join(path.dirname(FIXTURE_CA), 'other-ca.pem'), 'latin1')
  const body = ca.split('\n').slice(1, -2).join('\n')
  const dir = t.testdir({
    'empty.pem': '',
    'key.pem': readFileSync(path.join(path.dirname(FIXTURE_CA), 'server.key'), 'latin1'),
    'der.crt': new X509Certificate(ca).raw,
    'hollow.pem': '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n',
    'cut.pem': `-----BEGIN CERTIFICATE-----\n${body.slice(0, 40)}\n-----END CERTIFICATE-----\n`,
    'second-bad.pem': `${ca}-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n`,
    'bundle.pem': `# our CAs\n${ca}\n${other}`
  })
  const tls = { VBASE_TLS: 'true', VBASE_UPSTREAM: 'vbase:443' }
  for (const file of ['empty.pem', 'key.pem', 'der.crt']) {
    const err = t.throws(() => loadConfig({ ...tls, VBASE_TLS_CA: path.join(dir, file) }), {
      code: 'VBGW_INVALID_CONFIG',
      message: `invalid configuration: VBASE_TLS_CA holds no PEM certificate (-----BEGIN CERTIFICATE----- block): ${path.join(dir, file)}`
    }, file) as Error
    t.notMatch(err.message, /PRIVATE KEY|MIG/, `${file}: nothing of the content in the message`)
  }
  t.throws(() => loadConfig({ ...tls, VBASE_TLS_CA: path.join(dir, 'hollow.pem') }), { message: /VBASE_TLS_CA: certificate 1 of 1 cannot be parsed/ })
  t.throws(() => loadConfig({ ...tls, VBASE_TLS_CA: path.join(dir, 'cut.pem') }), { message: /VBASE_TLS_CA: certificate 1 of 1 cannot be parsed/ })
  t.throws(() => loadConfig({ ...tls, VBASE_TLS_CA: path.join(dir, 'second-bad.pem') }), { message: /VBASE_TLS_CA: certificate 2 of 2 cannot be parsed/ })
  t.equal(loadConfig({ ...tls, VBASE_TLS_CA: path.join(dir, 'bundle.pem') }).VBASE_TLS_CA, path.join(dir, 'bundle.pem'), 'a bundle with a comment line boots')
})

t.test('a millisecond setting that feeds a timer stays within Node\'s longest timer delay', async (t) => {
  const MAX = 2_147_483_647
  const timers = ['UPSTREAM_TIMEOUT_MS', 'UPSTREAM_QUEUE_TIMEOUT_MS', 'REQUEST_TIMEOUT_MS', 'CACHE_STATS_LOG_MS', 'SHUTDOWN_DELAY_MS', 'SHUTDOWN_GRACE_MS', 'SIM_JOB_MS'] as const
  for (const name of timers) {
    // Past the limit Node fires the timer after 1 ms: a day-long grace would become no grace at all.
    t.throws(() => loadConfig({ [name]: String(MAX + 1) }), { code: 'VBGW_INVALID_CONFIG', message: `invalid configuration: ${name} must be <= ${MAX}` }, name)
    // SHUTDOWN_DELAY_MS at the limit leaves no room for the grace: see the sum below.
    if (name !== 'SHUTDOWN_DELAY_MS') t.equal(loadConfig({ [name]: String(MAX) })[name], MAX, `${name} at the limit`)
  }
  // ioredis' connect timeout is five times CACHE_REDIS_TIMEOUT_MS.
  t.throws(() => loadConfig({ CACHE_REDIS_TIMEOUT_MS: String(Math.floor(MAX / 5) + 1) }), { code: 'VBGW_INVALID_CONFIG', message: /CACHE_REDIS_TIMEOUT_MS must be <=/ })
  t.equal(loadConfig({ CACHE_REDIS_TIMEOUT_MS: String(Math.floor(MAX / 5)) }).CACHE_REDIS_TIMEOUT_MS, Math.floor(MAX / 5))
  // One timer waits for the delay and the grace together (src/server.ts).
  t.throws(() => loadConfig({ SHUTDOWN_DELAY_MS: String(MAX - 10), SHUTDOWN_GRACE_MS: '11' }), {
    code: 'VBGW_INVALID_CONFIG',
    message: /SHUTDOWN_DELAY_MS \+ SHUTDOWN_GRACE_MS must not exceed 2147483647/
  })
  t.equal(loadConfig({ SHUTDOWN_DELAY_MS: String(MAX - 10), SHUTDOWN_GRACE_MS: '10' }).SHUTDOWN_GRACE_MS, 10)
})
