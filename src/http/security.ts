/**
 * Security headers (helmet's, computed once at boot) and CORS. Registered first among the
 * cross-cutting plugins, so every answer carries them, refusals included: a
 * browser app can read a 429 only if it has its CORS headers.
 *
 * Two sets. The API's answers (JSON, from REST, GraphQL, errors, health,
 * metrics) get what matters for a document that loads nothing (OWASP's REST
 * Security Cheat Sheet): `Content-Security-Policy: default-src 'none';
 * frame-ancestors 'none'`, nosniff, X-Frame-Options, HSTS, Referrer-Policy
 * and Cross-Origin-Resource-Policy; the headers that only steer an HTML
 * page (COOP, Origin-Agent-Cluster, DNS prefetch, IE's download and XSS
 * filters, Adobe's cross-domain policy) are left out. The two pages and
 * their assets (`pageSecurityHeaders`, added by their own scopes) get all
 * of helmet's, with the page policy below.
 *
 * The pages' Content-Security-Policy is strict: scripts, styles, fonts, images and
 * fetches from the gateway's own origin only, nothing inline for scripts.
 * The two pages the gateway serves live within it: GraphiQL is self-hosted
 * (src/graphql/graphiql.ts: no CDN, no inline script) and Swagger UI serves
 * its assets locally with its initializer as a file. Both inline some
 * styles at run time (React style attributes, CodeMirror, Swagger UI's
 * syntax highlighter), hence `style-src 'unsafe-inline'`; both use `data:`
 * URLs for fonts and icons.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { status as GrpcStatus } from '@grpc/grpc-js'
import cors, { type FastifyCorsOptions } from '@fastify/cors'
import helmet, { type HelmetOptions } from 'helmet'
import type { Config } from '../config.js'

/** Options of the security plugin. */
export interface SecurityOptions {
  config: Pick<Config, 'SECURITY_HEADERS' | 'CORS_ORIGINS'>
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The pages' security headers (see the module comment); undefined with SECURITY_HEADERS=false. */
    pageSecurityHeaders?: Readonly<Record<string, string>>
  }
}

/** CSP directives of the pages (GraphiQL, Swagger UI) and their assets. */
export const CSP_DIRECTIVES: Readonly<Record<string, readonly string[]>> = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'script-src-attr': ["'none'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"]
}

/** CSP directives of the API's answers: nothing to load, no framing. */
export const API_CSP_DIRECTIVES: Readonly<Record<string, readonly string[]>> = {
  'default-src': ["'none'"],
  'frame-ancestors': ["'none'"]
}

/** helmet's options for the API's answers: the pages' without what only an HTML page heeds. */
export function apiHelmetOptions (): HelmetOptions {
  return {
    contentSecurityPolicy: cspOptions(API_CSP_DIRECTIVES),
    strictTransportSecurity: HSTS,
    xFrameOptions: { action: 'deny' },
    crossOriginOpenerPolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false
  }
}

/** helmet's options for the pages: its defaults, with the CSP above. */
export function helmetOptions (): HelmetOptions {
  return {
    contentSecurityPolicy: cspOptions(CSP_DIRECTIVES),
    strictTransportSecurity: HSTS,
    xFrameOptions: { action: 'deny' }
  }
}

// The gateway should not decide HSTS for sibling subdomains.
const HSTS = { maxAge: 15552000, includeSubDomains: false }

/**
 * helmet's CSP option for `directives` alone. Not helmet's defaults: they
 * add `upgrade-insecure-requests`, which breaks every asset of the pages
 * when the gateway is reached over plain HTTP on a private network, and
 * allow any https: font or style.
 */
function cspOptions (directives: Readonly<Record<string, readonly string[]>>): { useDefaults: false, directives: Record<string, string[]> } {
  return { useDefaults: false, directives: Object.fromEntries(Object.entries(directives).map(([k, v]) => [k, [...v]])) }
}

/**
 * Headers a browser app may send cross-origin: the ones the gateway reads,
 * the ones that pass its CSRF check (src/http/csrf.ts), and the ones Apollo
 * Client adds with `clientAwareness`, which the gateway ignores: a preflight
 * that refused them failed every request of such an app.
 */
export const CORS_ALLOWED_HEADERS = [
  'Authorization', 'Content-Type', 'Cache-Control', 'If-None-Match', 'Grpc-Timeout', 'X-Request-Id', 'Traceparent',
  'X-Mercurius-Operation-Name', 'Mercurius-Require-Preflight', 'X-Apollo-Operation-Name', 'Apollo-Require-Preflight',
  'Apollographql-Client-Name', 'Apollographql-Client-Version'
]

/** Headers a browser app may read from a cross-origin answer. */
export const CORS_EXPOSED_HEADERS = ['X-Request-Id', 'ETag', 'X-Cache', 'Retry-After', 'WWW-Authenticate', 'X-RateLimit-Limit', 'X-RateLimit-Remaining', 'X-RateLimit-Reset']

/** The allowed origins of CORS_ORIGINS (already validated by the config schema); empty when unset. */
export function parseCorsOrigins (value: string | undefined): string[] {
  if (value === undefined) return []
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '')
}

/** @fastify/cors' options for a list of origins. */
export function corsOptions (origins: string[]): FastifyCorsOptions {
  return {
    origin: origins.includes('*') ? '*' : origins,
    methods: ['GET', 'HEAD', 'POST', 'DELETE'],
    allowedHeaders: CORS_ALLOWED_HEADERS,
    exposedHeaders: CORS_EXPOSED_HEADERS,
    // Bearer tokens, never cookies: no credentialed CORS.
    credentials: false,
    maxAge: 600
  }
}

/**
 * The headers helmet sets with these options, computed once. They depend on
 * nothing in the request (no per-request CSP nonce here), and
 * @fastify/helmet rebuilt them, CSP parsing included, on every request:
 * about 5% of a cached read's CPU.
 */
export function securityHeaders (options: HelmetOptions = apiHelmetOptions()): Record<string, string> {
  const headers: Record<string, string> = {}
  const res = {
    setHeader (name: string, value: string | number) { headers[name.toLowerCase()] = String(value) },
    removeHeader (name: string) { delete headers[name.toLowerCase()] }
  }
  helmet(options)({} as IncomingMessage, res as unknown as ServerResponse, (err?: unknown) => { if (err !== undefined && err !== null) throw err })
  return headers
}

export default fp<SecurityOptions>(async function security (fastify, { config }) {
  if (config.SECURITY_HEADERS) {
    const headers = securityHeaders()
    fastify.addHook('onRequest', function setSecurityHeaders (_request, reply, done) {
      reply.headers(headers)
      done()
    })
    fastify.decorate('pageSecurityHeaders', securityHeaders(helmetOptions()))
  }
  const origins = parseCorsOrigins(config.CORS_ORIGINS)
  // No origins: no CORS plugin at all, so browsers keep the same-origin policy.
  if (origins.length === 0) return
  await fastify.register(cors, corsOptions(origins))
  // @fastify/cors answers an OPTIONS that is no preflight (no Origin or no
  // Access-Control-Request-Method) in text/plain; every other error is JSON.
  fastify.addHook('onSend', function jsonPreflightRefusal (request, reply, payload, done) {
    if (request.method !== 'OPTIONS' || reply.statusCode !== 400 || payload !== CORS_PLAIN_REFUSAL) {
      done(null, payload)
      return
    }
    reply.type('application/json; charset=utf-8')
    done(null, JSON.stringify({ code: GrpcStatus.INVALID_ARGUMENT, message: NOT_A_PREFLIGHT, details: [] }))
  })
}, { name: 'security', fastify: '5.x' })

/**
 * Give the routes of `scope` (a page and its assets, in a scope of their
 * own) the pages' security headers instead of the API's. Its onRequest
 * hook runs after the app's, so these replace the API's CSP.
 */
export function servesPages (scope: FastifyInstance): void {
  const headers = scope.pageSecurityHeaders
  if (headers === undefined) return
  scope.addHook('onRequest', function setPageSecurityHeaders (_request, reply, done) {
    reply.headers(headers)
    done()
  })
}

/** @fastify/cors' body for an OPTIONS request that is no preflight. */
const CORS_PLAIN_REFUSAL = 'Invalid Preflight Request'

/** The gateway's words for it. */
export const NOT_A_PREFLIGHT = 'an OPTIONS request here is a CORS preflight: it needs Origin and Access-Control-Request-Method headers'
