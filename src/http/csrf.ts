/**
 * CSRF prevention: one rule for /graphql (mercurius' `csrfPrevention`, given
 * the lists below) and for REST writes (the hook below). A browser sends a
 * cross-site request without asking first (no CORS preflight) only when it
 * is "simple": GET, HEAD or POST with a form or text/plain body and no
 * custom header. Such a request is refused with 400 before anything else
 * happens. A request passes when its Content-Type is one a page can only set
 * after a preflight (JSON), or when it carries a header that forces one.
 *
 * `Authorization` counts as such a header: a page can set it only through
 * fetch/XHR, which preflights it. A browser attaches it by itself only for
 * an HTTP authentication scheme the server challenged with (Basic, Digest,
 * Negotiate); the gateway only ever challenges with `Bearer`, which no
 * browser sends on its own.
 */
import type { FastifyRequest } from 'fastify'
import { errors } from '../errors.js'

/** Request media types that make a request non-simple (lower case, without parameters). */
export const CSRF_SAFE_CONTENT_TYPES: readonly string[] = ['application/json', 'application/graphql']

/** Headers whose presence proves the browser sent a preflight first (lower case). */
export const CSRF_PREFLIGHT_HEADERS: readonly string[] = [
  'authorization', 'x-mercurius-operation-name', 'mercurius-require-preflight',
  // Apollo Server's, which Apollo clients set for its CSRF check: custom headers too.
  'x-apollo-operation-name', 'apollo-require-preflight'
]

/** The rule as mercurius' `csrfPrevention` option takes it. */
export const GRAPHQL_CSRF_PREVENTION = {
  allowedContentTypes: [...CSRF_SAFE_CONTENT_TYPES],
  requiredHeaders: [...CSRF_PREFLIGHT_HEADERS]
}

/** Methods a browser may send cross-site without a preflight (others, like DELETE, always preflight). */
export const SIMPLE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST'])

type Headers = FastifyRequest['headers']

/** True when a browser could not have sent these headers cross-site without a preflight. */
export function isPreflighted (headers: Headers): boolean {
  const type = headers['content-type']
  if (typeof type === 'string') {
    const essence = type.split(';', 1)[0]?.trim().toLowerCase() ?? ''
    if (CSRF_SAFE_CONTENT_TYPES.includes(essence)) return true
  }
  return CSRF_PREFLIGHT_HEADERS.some((name) => headers[name] !== undefined)
}

/** Route onRequest hook for REST writes: refuse a simple cross-site request before body parsing and any upstream call. */
export async function preventCsrf (request: FastifyRequest): Promise<void> {
  if (!isPreflighted(request.headers)) throw new errors.CsrfRefused()
}
