/**
 * GraphQL over HTTP details mercurius leaves to the app: `null` accepted for
 * `extensions` (mercurius' body schema takes only an object), the
 * `application/graphql-response+json` media type answered when asked for,
 * and the bearer token required before execution, except for introspection
 * so GraphiQL can load the schema before a token is set.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { Kind, type DocumentNode, type SelectionSetNode, type FragmentDefinitionNode } from 'graphql'
import type { MercuriusContext } from 'mercurius'
import { errors } from '../errors.js'
import { hasBearer } from './context.js'

/** The GraphQL-over-HTTP response media type. */
export const GRAPHQL_RESPONSE_TYPE = 'application/graphql-response+json'

function dropNullExtensions (params: unknown): void {
  if (typeof params === 'object' && params !== null && 'extensions' in params && (params as { extensions: unknown }).extensions === null) {
    delete (params as { extensions?: unknown }).extensions
  }
}

/** Route preValidation: treat `"extensions": null` as absent, in a single request or a batch. */
export async function acceptNullExtensions (request: FastifyRequest): Promise<void> {
  const body = request.body
  if (Array.isArray(body)) body.forEach(dropNullExtensions)
  else dropNullExtensions(body)
}

/** True when the Accept header lists the GraphQL response media type with a non-zero q. */
export function wantsGraphqlResponse (accept: string | undefined): boolean {
  if (accept === undefined) return false
  return accept.split(',').some((part) => {
    const [type, ...params] = part.trim().split(';').map((s) => s.trim())
    if (type?.toLowerCase() !== GRAPHQL_RESPONSE_TYPE) return false
    const q = params.find((p) => p.toLowerCase().startsWith('q='))
    return q === undefined || Number(q.slice(2)) > 0
  })
}

/** Route onSend: answer JSON as application/graphql-response+json when the caller accepts it. */
export async function negotiateMediaType (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
  const type = String(reply.getHeader('content-type') ?? '')
  if (type.startsWith('application/json') && wantsGraphqlResponse(request.headers.accept)) {
    reply.header('content-type', `${GRAPHQL_RESPONSE_TYPE}; charset=utf-8`)
  }
  return payload
}

/** True when every operation in the document selects only `__schema`, `__type` or `__typename` at its root. */
export function isIntrospectionOnly (document: DocumentNode): boolean {
  const fragments = new Map<string, FragmentDefinitionNode>()
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def)
  }
  const seen = new Set<string>()
  const onlyMeta = (set: SelectionSetNode): boolean => set.selections.every((sel) => {
    if (sel.kind === Kind.FIELD) return sel.name.value.startsWith('__')
    if (sel.kind === Kind.INLINE_FRAGMENT) return onlyMeta(sel.selectionSet)
    const name = sel.name.value
    // A fragment cycle is a validation error anyway; do not loop on it.
    if (seen.has(name)) return true
    seen.add(name)
    const fragment = fragments.get(name)
    return fragment !== undefined && onlyMeta(fragment.selectionSet)
  })
  return document.definitions.every((def) => def.kind !== Kind.OPERATION_DEFINITION || onlyMeta(def.selectionSet))
}

/**
 * mercurius preExecution hook: without `Authorization: Bearer <token>` a
 * request can do nothing but introspect, so it fails whole with
 * UNAUTHENTICATED before any resolver runs (HTTP 401 with
 * `WWW-Authenticate: Bearer` for a single operation).
 */
export async function requireBearer (_schema: unknown, document: DocumentNode, ctx: MercuriusContext): Promise<void> {
  if (hasBearer(ctx.call) || isIntrospectionOnly(document)) return
  throw new errors.Unauthenticated()
}
