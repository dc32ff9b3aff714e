/**
 * 405 for a known REST path asked with a method it does not route, with an
 * `Allow` header and the same Status body as every other error. Fastify
 * sends such requests to the not-found handler, so this is a not-found
 * handler scoped to the REST paths' literal prefixes (e.g. `/v1`): paths
 * outside them keep the app-wide 404. It matches the request path against
 * the templates at request time instead of registering 405 routes, because
 * a 405 route on `DELETE .../backup/policy` would shadow the real
 * `DELETE .../backup/{backup_name}` for a backup named "policy".
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { status as GrpcStatus } from '@grpc/grpc-js'
import { mapGrpcStatus, type ErrorView } from '../errors.js'
import { sendNotFound, sendStatus } from '../http/errors.js'
import { ROUTE_LABEL, type LabelledRequest } from '../ops/metrics.js'
import type { RestRoute } from './routes.js'

/** The methods that route a path, HEAD included wherever GET is (Fastify serves it). */
export function allowedMethods (routes: RestRoute[], path: string): string[] {
  return routing(routes, path).allowed
}

/** The methods that route a path, and the pattern of the first route whose template matches it (undefined, and no method: none does). */
function routing (routes: RestRoute[], path: string): { allowed: string[], pattern: string | undefined } {
  const allowed = new Set<string>()
  let pattern: string | undefined
  for (const { method, path: template } of routes) {
    if (!template.regex.test(path)) continue
    pattern ??= template.fastifyPath
    allowed.add(method.http.verb)
    if (method.http.verb === 'GET') allowed.add('HEAD')
  }
  return { allowed: [...allowed].sort(), pattern }
}

function routingError (message: string, code: GrpcStatus, httpStatus: number): ErrorView {
  return {
    httpStatus,
    grpcCode: code,
    grpcStatus: GrpcStatus[code] as string,
    graphqlCode: mapGrpcStatus(code).graphql,
    message,
    details: [],
    serverFault: false
  }
}

/** Answer 405 for `method` on `path` with `Allow: allowed` and the Status body (grpc-gateway's routing error: gRPC UNIMPLEMENTED). */
function sendMethodNotAllowed (reply: FastifyReply, method: string, path: string, allowed: string[]): FastifyReply {
  reply.header('allow', allowed.join(', '))
  return sendStatus(reply, routingError(`method ${method} is not allowed for ${path}; allowed: ${allowed.join(', ')}`, GrpcStatus.UNIMPLEMENTED, 405))
}

/**
 * Register the handler under each distinct first literal segment of the
 * routes (`/v1`). Unknown paths get the app-wide 404 of src/http/errors.ts.
 */
export async function registerMethodNotAllowed (fastify: FastifyInstance, routes: RestRoute[]): Promise<void> {
  const prefixes = new Set(routes.map((r) => r.path.literalPrefix.split('/').slice(0, 2).join('/')).filter((p) => p !== ''))
  for (const prefix of prefixes) {
    await fastify.register(async function methodNotAllowed (scope) {
      scope.setNotFoundHandler(function (request: FastifyRequest, reply: FastifyReply) {
        const path = request.url.split('?')[0] as string
        const { allowed, pattern } = routing(routes, path)
        if (pattern === undefined) {
          return sendNotFound(request, reply)
        }
        // Counted under the path's route pattern, as its other requests are, not as `unmatched`.
        (request as LabelledRequest)[ROUTE_LABEL] = pattern
        return sendMethodNotAllowed(reply, request.method, path, allowed)
      })
    }, { prefix })
  }
}
