/**
 * Security headers and CORS. Every API answer carries the headers that
 * matter for JSON (a CSP that loads nothing and allows no framing, nosniff,
 * X-Frame-Options, HSTS, Referrer-Policy, CORP); the pages and their assets
 * carry all of helmet's with a strict CSP, and GraphiQL (/graphiql) and
 * Swagger UI (/docs) still work under it: every script and stylesheet their
 * HTML references is served by the gateway (200, right type) from an origin
 * the CSP allows, and neither page has an inline script. CORS answers only
 * the configured origins.
 */
import t, { type Test } from 'tap'
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify'
import { loadConfig } from '../../src/config.js'
import { CORS_ALLOWED_HEADERS, NOT_A_PREFLIGHT } from '../../src/http/security.js'
import { DEV_TOKEN } from '../../src/simulator/index.js'
import { buildTestApp } from '../helpers/app.js'
import { repoModuleUrl } from '../helpers/node-child.js'

const ORIGIN = 'http://gateway.test'

/** A CSP header as directive -> sources. */
function parseCsp (header: unknown): Map<string, string[]> {
  const csp = new Map<string, string[]>()
  for (const part of String(header ?? '').split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/)
    if (name !== undefined && name !== '') csp.set(name, sources)
  }
  return csp
}

/** Whether `csp` lets a page at ORIGIN load `url` as `directive`, falling back to default-src. */
function allows (csp: Map<string, string[]>, directive: string, url: URL): boolean {
  const sources = csp.get(directive) ?? csp.get('default-src') ?? []
  if (url.protocol === 'data:') return sources.includes('data:')
  return url.origin === ORIGIN && sources.includes("'self'")
}

/** What every API answer carries, and only that of helmet's headers. */
const API_HEADERS = {
  'content-security-policy': "default-src 'none';frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'strict-transport-security': 'max-age=15552000',
  'cross-origin-resource-policy': 'same-origin'
}
/** Headers that only steer an HTML page: on the pages, not on the API's answers. */
const PAGE_ONLY = ['cross-origin-opener-policy', 'origin-agent-cluster', 'x-dns-prefetch-control', 'x-download-options', 'x-permitted-cross-domain-policies', 'x-xss-protection']
const PAGE_HEADERS = {
  ...API_HEADERS,
  'content-security-policy': /^default-src 'self';script-src 'self';/,
  'cross-origin-opener-policy': 'same-origin',
  'origin-agent-cluster': '?1',
  'x-dns-prefetch-control': 'off',
  'x-download-options': 'noopen',
  'x-permitted-cross-domain-policies': 'none',
  'x-xss-protection': '0'
}

/** The scripts and stylesheets (and icons) an HTML page references, resolved against its URL. */
function references (html: string, page: string): { scripts: URL[], styles: URL[], icons: URL[], inlineScripts: number } {
  const base = new URL(page, ORIGIN)
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)]
  const links = [...html.matchAll(/<link\b([^>]*)>/g)].map((m) => m[1] as string)
  const attr = (tag: string, name: string): string | undefined => new RegExp(`\\b${name}="([^"]*)"`).exec(tag)?.[1]
  return {
    scripts: scripts.flatMap((m) => { const src = attr(m[1] as string, 'src'); return src === undefined ? [] : [new URL(src, base)] }),
    inlineScripts: scripts.filter((m) => attr(m[1] as string, 'src') === undefined || (m[2] as string).trim() !== '').length,
    styles: links.filter((l) => attr(l, 'rel') === 'stylesheet').map((l) => new URL(attr(l, 'href') as string, base)),
    icons: links.filter((l) => attr(l, 'rel') === 'icon').map((l) => new URL(attr(l, 'href') as string, base))
  }
}

/** Check a page: HTML, its CSP, and every asset it references, served and allowed. */
async function checkPage (t: Test, app: FastifyInstance, page: string, minimum: { scripts: number, styles: number }): Promise<void> {
  const res = await app.inject({ method: 'GET', url: page, headers: { host: 'gateway.test' } })
  t.equal(res.statusCode, 200)
  t.match(res.headers['content-type'], /^text\/html/)
  t.match(res.headers, PAGE_HEADERS, 'all of the pages\' security headers')
  const csp = parseCsp(res.headers['content-security-policy'])
  t.same(csp.get('script-src'), ["'self'"], 'scripts from the gateway only: no CDN, no inline, no eval')
  t.same(csp.get('default-src'), ["'self'"])
  t.notMatch(String(res.headers['content-security-policy']), /unpkg|jsdelivr|https:/, 'no third-party origin')
  t.notMatch(String(res.headers['content-security-policy']), /upgrade-insecure-requests/, 'plain HTTP on a private network keeps working')
  t.doesNotThrow(() => { if (/\son\w+=/i.test(res.body)) throw new Error('inline event handler') }, 'no inline event handlers')

  const refs = references(res.body, page)
  t.equal(refs.inlineScripts, 0, 'no inline script')
  t.ok(refs.scripts.length >= minimum.scripts, `${refs.scripts.length} scripts`)
  t.ok(refs.styles.length >= minimum.styles, `${refs.styles.length} stylesheets`)
  for (const [kind, directive, urls, type] of [['script', 'script-src', refs.scripts, /javascript/], ['style', 'style-src', refs.styles, /^text\/css/], ['icon', 'img-src', refs.icons, /^image\//]] as const) {
    for (const url of urls) {
      t.ok(allows(csp, directive, url), `${directive} allows ${url.href}`)
      if (url.protocol === 'data:') continue
      const asset = await app.inject({ method: 'GET', url: url.pathname + url.search })
      t.equal(asset.statusCode, 200, `${kind} ${url.pathname} is served`)
      t.equal(asset.headers['content-security-policy'], res.headers['content-security-policy'], `${kind} ${url.pathname} has the page's policy`)
      t.match(asset.headers['content-type'], type, `${kind} ${url.pathname} type`)
      t.ok(asset.rawPayload.length > 0, `${kind} ${url.pathname} not empty`)
    }
  }
}

t.test('security headers on every answer', async (t) => {
  const { app } = await buildTestApp(t)
  const requests: Array<{ url: string, headers?: Record<string, string | string[]> }> = [
    { url: '/healthz' },
    { url: '/nope' },
    { url: '/v1/vbase/svc-demo-catalog/backup' },
    { url: '/v1/vbase/svc-demo-catalog/backup', headers: { authorization: `Bearer ${DEV_TOKEN}` } },
    // Refused in an onRequest hook, by the upstream, and answered 304 from the cache.
    { url: '/healthz', headers: { 'content-type': ['a/b', 'c/d'] } },
    { url: '/v1/vbase/svc-demo-catalog/backup', headers: { authorization: 'Bearer not-a-token' } }
  ]
  const first = await app.inject(requests[3] as { url: string, headers: Record<string, string> })
  requests.push({ url: '/v1/vbase/svc-demo-catalog/backup', headers: { authorization: `Bearer ${DEV_TOKEN}`, 'if-none-match': String(first.headers.etag) } })
  const statuses: number[] = []
  const csps = new Set<unknown>()
  for (const { url, headers } of requests) {
    const res = await app.inject({ url, ...(headers === undefined ? {} : { headers }) })
    statuses.push(res.statusCode)
    csps.add(res.headers['content-security-policy'])
    t.match(res.headers, API_HEADERS, `${url} (${res.statusCode})`)
    t.same(PAGE_ONLY.filter((name) => name in res.headers), [], `${url} (${res.statusCode}): no header that only an HTML page heeds`)
  }
  t.same(statuses, [200, 404, 401, 200, 400, 401, 304], 'answers of every kind')
  t.equal(csps.size, 1, 'one policy for all of them, computed once')
})

t.test('SECURITY_HEADERS=false leaves them out', async (t) => {
  const { app } = await buildTestApp(t, { env: { SECURITY_HEADERS: 'false' } })
  const res = await app.inject('/healthz')
  t.equal(res.headers['content-security-policy'], undefined)
  t.equal(res.headers['x-content-type-options'], undefined)
})

t.test('GraphiQL is self-hosted and works under the CSP', async (t) => {
  const { app } = await buildTestApp(t)
  await checkPage(t, app, '/graphiql', { scripts: 5, styles: 2 })
  const config = await app.inject('/graphiql/config.js')
  t.equal(config.body.trim(), "window.GRAPHQL_ENDPOINT = '/graphql'")
  const main = await app.inject('/graphiql/main.js')
  t.match(main.body, /GraphiQL\.createFetcher\(\{ url: url \}\)/, 'the page talks to GRAPHQL_ENDPOINT')
  t.match(main.body, /defaultEditorToolsVisibility: 'headers'/, 'the Headers tab is open for the token')
  const page = await app.inject('/graphiql')
  t.notMatch(page.body, /unpkg|https?:\/\//, 'nothing from a CDN')
  // The page's own requests: JSON POSTs to /graphql, which CSRF prevention lets through.
  const schema = await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json' }, payload: { query: '{ __schema { queryType { name } } }' } })
  t.equal(schema.statusCode, 200, 'introspection without a token, for the explorer')
  const query = await app.inject({ method: 'POST', url: '/graphql', headers: { 'content-type': 'application/json', authorization: `Bearer ${DEV_TOKEN}` }, payload: { query: '{ __typename }' } })
  t.same(query.json(), { data: { __typename: 'Query' } })
})

t.test('Swagger UI works under the CSP', async (t) => {
  const { app } = await buildTestApp(t)
  await checkPage(t, app, '/docs', { scripts: 3, styles: 2 })
  const initializer = await app.inject('/docs/static/swagger-initializer.js')
  t.match(initializer.body, /validatorUrl: null/, 'no call to the online validator')
  const spec = await app.inject('/docs/json')
  t.equal(spec.statusCode, 200, 'the document the page fetches')
})

t.test('CORS', async (t) => {
  const preflight = (app: FastifyInstance, origin: string): Promise<LightMyRequestResponse> => app.inject({
    method: 'OPTIONS',
    url: '/graphql',
    headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' }
  })

  t.test('no CORS_ORIGINS: no CORS headers at all', async (t) => {
    const { app } = await buildTestApp(t)
    const res = await app.inject({ url: '/healthz', headers: { origin: 'https://console.example.com' } })
    t.equal(res.headers['access-control-allow-origin'], undefined)
    const pre = await preflight(app, 'https://console.example.com')
    t.equal(pre.headers['access-control-allow-origin'], undefined)
    t.equal(pre.statusCode, 404)
  })

  t.test('the configured origins only', async (t) => {
    const { app } = await buildTestApp(t, { env: { CORS_ORIGINS: 'https://console.example.com, http://localhost:3000' } })
    for (const origin of ['https://console.example.com', 'http://localhost:3000']) {
      const pre = await preflight(app, origin)
      t.equal(pre.statusCode, 204, origin)
      t.equal(pre.headers['access-control-allow-origin'], origin)
      t.match(pre.headers['access-control-allow-headers'], /Authorization/)
      t.match(pre.headers['access-control-allow-headers'], /Content-Type/)
      t.match(pre.headers['access-control-allow-methods'], /POST/)
      t.equal(pre.headers['access-control-allow-credentials'], undefined, 'bearer tokens, no cookies')
    }
    // What browser apps send: the CSRF pass headers, Apollo Client's clientAwareness headers.
    const headers = ['mercurius-require-preflight', 'x-mercurius-operation-name', 'apollo-require-preflight', 'x-apollo-operation-name',
      'apollographql-client-name', 'apollographql-client-version', 'traceparent', 'grpc-timeout', 'if-none-match']
    const asked = await app.inject({
      method: 'OPTIONS',
      url: '/graphql',
      headers: { origin: 'http://localhost:3000', 'access-control-request-method': 'POST', 'access-control-request-headers': headers.join(',') }
    })
    t.equal(asked.statusCode, 204)
    const allowed = String(asked.headers['access-control-allow-headers']).toLowerCase().split(/,\s*/)
    t.same(headers.filter((h) => !allowed.includes(h)), [], 'each is allowed')
    const other = await preflight(app, 'https://evil.example')
    t.equal(other.headers['access-control-allow-origin'], undefined, 'another origin is not allowed')
    // An OPTIONS that is no preflight is refused in JSON, like every other error.
    for (const headers of [{}, { origin: 'http://localhost:3000' }, { 'access-control-request-method': 'GET' }]) {
      const plain = await app.inject({ method: 'OPTIONS', url: '/v1/vbase/svc-demo-catalog/backup', headers })
      t.equal(plain.statusCode, 400, JSON.stringify(headers))
      t.match(plain.headers['content-type'], /^application\/json/)
      t.same(plain.json(), { code: 3, message: NOT_A_PREFLIGHT, details: [] })
      t.ok(plain.headers['x-request-id'], 'with its request id')
    }

    // Actual requests carry the header, errors included, so the app can read them.
    const ok = await app.inject({ method: 'POST', url: '/graphql', headers: { origin: 'http://localhost:3000', 'content-type': 'application/json' }, payload: { query: '{ __typename }' } })
    t.equal(ok.headers['access-control-allow-origin'], 'http://localhost:3000')
    t.match(ok.headers['access-control-expose-headers'], /X-Request-Id/)
    const denied = await app.inject({ method: 'GET', url: '/v1/vbase/svc-demo-catalog/backup', headers: { origin: 'http://localhost:3000' } })
    t.equal(denied.statusCode, 401)
    t.equal(denied.headers['access-control-allow-origin'], 'http://localhost:3000')
    t.match(denied.headers['access-control-expose-headers'], /WWW-Authenticate/)

    // A read varies on the origin (CORS) and on the caller (its list): both stay, neither is overwritten.
    const read = await app.inject({ method: 'GET', url: '/v1/vbase/svc-demo-catalog/backup', headers: { origin: 'http://localhost:3000', authorization: `Bearer ${DEV_TOKEN}` } })
    t.equal(read.statusCode, 200)
    t.equal(read.headers.vary, 'Origin, Authorization')
    const notModified = await app.inject({ method: 'GET', url: '/v1/vbase/svc-demo-catalog/backup', headers: { origin: 'http://localhost:3000', authorization: `Bearer ${DEV_TOKEN}`, 'if-none-match': String(read.headers.etag) } })
    t.equal(notModified.statusCode, 304)
    t.equal(notModified.headers.vary, 'Origin, Authorization')
  })

  t.test('* allows any origin', async (t) => {
    const { app } = await buildTestApp(t, { env: { CORS_ORIGINS: '*' } })
    const pre = await preflight(app, 'https://anyone.example')
    t.equal(pre.headers['access-control-allow-origin'], '*')
  })

  t.test('the gateway reads these headers, so a browser app may send them', async (t) => {
    t.same(CORS_ALLOWED_HEADERS.slice(0, 2), ['Authorization', 'Content-Type'])
  })

  t.test('a malformed origin stops the boot, naming the variable', async (t) => {
    for (const bad of ['https://console.example.com/', 'console.example.com', 'https://a.example,*']) {
      t.throws(() => loadConfig({ CORS_ORIGINS: bad }), /CORS_ORIGINS/, bad)
    }
  })
})

t.test('helmet builds the headers once, at registration, not per request', async (t) => {
  const helmetModule = await import('helmet')
  let built = 0
  const counting = ((...args: Parameters<typeof helmetModule.default>) => { built++; return helmetModule.default(...args) }) as typeof helmetModule.default
  const { default: security } = await t.mockImport<typeof import('../../src/http/security.js')>(repoModuleUrl('src/http/security.ts'), {
    helmet: { ...helmetModule, default: Object.assign(counting, helmetModule.default) }
  })
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(security, { config: { SECURITY_HEADERS: true } })
  app.get('/x', async () => 'ok')
  for (let i = 0; i < 5; i++) {
    const res = await app.inject('/x')
    t.equal(res.headers['content-security-policy'], API_HEADERS['content-security-policy'])
  }
  t.equal(built, 2, 'two helmet middlewares (the API\'s headers and the pages\') for five requests')
})
