import t from 'tap'
import { loadConfig } from '../src/config.js'

t.test('defaults', async (t) => {
  const c = loadConfig({})
  t.equal(c.HOST, '127.0.0.1')
  t.equal(c.PORT, 4000)
  t.equal(c.VBASE_UPSTREAM, undefined)
  t.equal(c.UPSTREAM_TIMEOUT_MS, 5000)
  t.equal(c.CACHE_TTL_MS, 30000)
  t.equal(c.SIM_PORT, 50051)
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

t.test('typed values', async (t) => {
  const c = loadConfig({ PORT: '8080', VBASE_UPSTREAM: 'vbase:443', VBASE_TLS: 'true', SIM_SEED: 'false' })
  t.equal(c.PORT, 8080)
  t.equal(c.VBASE_TLS, true)
  t.equal(c.SIM_SEED, false)
})

t.test('an empty value means unset', async (t) => {
  const c = loadConfig({ VBASE_UPSTREAM: '', PORT: '' })
  t.equal(c.VBASE_UPSTREAM, undefined)
  t.equal(c.PORT, 4000)
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
