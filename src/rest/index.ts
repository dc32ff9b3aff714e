/**
 * The REST surface: routes generated from the contract's HTTP rules, 405 for
 * known paths asked with the wrong method, the OpenAPI document at
 * `/openapi.json` and Swagger UI at `/docs`. Errors go through the app-wide
 * handler (src/http/errors.ts), so REST bodies are google.rpc.Status-shaped.
 */
import fp from 'fastify-plugin'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { Config } from '../config.js'
import { servesPages } from '../http/security.js'
import { registerMethodNotAllowed } from './method-not-allowed.js'
import { buildOpenApi } from './openapi.js'
import { registerRoutes, restRoutes } from './routes.js'

/** Options of the REST plugin. */
export interface RestPluginOptions {
  config: Pick<Config, 'REST_JSON_NAMES' | 'CACHE_TTL_MS' | 'CSRF_PREVENTION' | 'UPSTREAM_TIMEOUT_MS'>
}

export default fp<RestPluginOptions>(async function rest (fastify, { config }) {
  // Compiled at registration: an unsupported HTTP rule fails the boot, not a request.
  const routes = restRoutes()
  const names = config.REST_JSON_NAMES
  registerRoutes(fastify, routes, { names, cacheTtlMs: config.CACHE_TTL_MS, upstreamTimeoutMs: config.UPSTREAM_TIMEOUT_MS, csrf: config.CSRF_PREVENTION })
  await registerMethodNotAllowed(fastify, routes)

  const document = buildOpenApi(routes, { names })
  fastify.get('/openapi.json', { logLevel: 'warn' }, async () => document)
  // Encapsulated so the `swagger` decorator stays private to the docs.
  await fastify.register(async function docs (scope) {
    servesPages(scope)
    await scope.register(swagger, { mode: 'static', specification: { document: document as never } })
    await scope.register(swaggerUi, { routePrefix: '/docs' })
  }, { logLevel: 'warn' })
}, { name: 'rest', fastify: '5.x', dependencies: ['vbase-upstream', 'error-handling'] })
