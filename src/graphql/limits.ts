/**
 * GraphQL limits: what one request may ask for, judged before any resolver
 * runs, so a refused operation makes no upstream call.
 *
 * - Query size: a route preValidation hook refuses a query text over
 *   GRAPHQL_MAX_QUERY_BYTES before it is parsed. Comments and whitespace
 *   are no tokens, and mercurius keeps parsed documents by their text.
 * - Tokens: graphql-js' own `maxTokens` parse option (what graphql-armor's
 *   max-tokens does through its parser), so an oversized document is not
 *   even parsed to the end.
 * - Depth, aliases, cost: graphql-armor's validation rules, given to
 *   mercurius as `validationRules`. Each operation of a batch is validated
 *   on its own, so each is held to the limits.
 * - Introspection: allowed or not (graphql-js' NoSchemaIntrospectionCustomRule).
 *   The limits do not count `__schema` (GraphiQL's schema query alone is
 *   deeper and costlier than any real operation); graphql-js' built-in
 *   MaxIntrospectionDepthRule bounds how deep an introspection query nests,
 *   and its breadth is bounded here instead: one `__schema` and one
 *   `__type` field per operation, no alias inside them, and no
 *   introspection in a batch of several operations. Each alias or batched
 *   copy would be one more copy of the schema, answered to a caller who
 *   needs no token.
 * - Operation types: one the schema lacks (`subscription`) is a validation
 *   error, as graphql-js 17 makes it, instead of failing at execution.
 * - Batch size: a route preValidation hook, before any operation starts.
 *   Each operation of a batch counts against the rate limits (chargeBatch).
 * - Upstream calls: the limits above bound each operation, not what a
 *   request as a whole asks of VBase (ten operations of fifty aliases each
 *   made a thousand calls). The request's fetcher counts its calls and
 *   refuses those past GRAPHQL_MAX_UPSTREAM_CALLS (src/graphql/fetcher.ts).
 * - Listed items: the cost rule multiplies by a literal `first` or `last` only, and
 *   `Backup.organization` and `Backup.service` lead back to lists already
 *   fetched, so a query within every limit above could list an
 *   organization's backups inside each of its backups, N^3 items from one
 *   upstream call (a security QA pass's query ran the process out of
 *   memory). Each list answered takes its items, and one, from the
 *   request's GRAPHQL_MAX_NODES (createNodeBudget); past it, the list is
 *   null with RESOURCE_EXHAUSTED.
 * - Strings: an argument, written in the query or passed as a variable,
 *   holds at most MAX_ID_LENGTH characters, what any field takes. mercurius
 *   keys a loader's queries by their arguments, serialized for each parent:
 *   a 0.9 MB name under thousands of listed parents was serialized as often.
 * - Suggestions: "Did you mean ...?" hints taken out of error messages.
 */
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit'
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases'
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import {
  GraphQLError, Kind, NoSchemaIntrospectionCustomRule, type ASTVisitor, type DocumentNode, type FieldNode, type FragmentDefinitionNode,
  type SelectionSetNode, type Token, type ValidationContext, type ValidationRule
} from 'graphql'
import type { MercuriusContext } from 'mercurius'
import type { Config } from '../config.js'
import { errors } from '../errors.js'
import { MAX_ID_LENGTH } from '../upstream/validate.js'

/** The GraphQL limits, from the config. */
export interface GraphqlLimits {
  maxDepth: number
  maxAliases: number
  maxTokens: number
  maxQueryBytes: number
  maxCost: number
  maxBatch: number
  maxUpstreamCalls: number
  maxNodes: number
  hideSuggestions: boolean
  introspection: boolean
}

/** The config variables the limits come from. */
export type GraphqlLimitsConfig = Pick<Config, 'GRAPHQL_MAX_DEPTH' | 'GRAPHQL_MAX_ALIASES' | 'GRAPHQL_MAX_TOKENS' | 'GRAPHQL_MAX_QUERY_BYTES' |
  'GRAPHQL_MAX_COST' | 'GRAPHQL_MAX_BATCH' | 'GRAPHQL_MAX_UPSTREAM_CALLS' | 'GRAPHQL_MAX_NODES' | 'GRAPHQL_HIDE_SUGGESTIONS' | 'GRAPHQL_INTROSPECTION'>

/** Read the limits from the config. */
export function graphqlLimits (config: GraphqlLimitsConfig): GraphqlLimits {
  return {
    maxDepth: config.GRAPHQL_MAX_DEPTH,
    maxAliases: config.GRAPHQL_MAX_ALIASES,
    maxTokens: config.GRAPHQL_MAX_TOKENS,
    maxQueryBytes: config.GRAPHQL_MAX_QUERY_BYTES,
    maxCost: config.GRAPHQL_MAX_COST,
    maxBatch: config.GRAPHQL_MAX_BATCH,
    maxUpstreamCalls: config.GRAPHQL_MAX_UPSTREAM_CALLS,
    maxNodes: config.GRAPHQL_MAX_NODES,
    hideSuggestions: config.GRAPHQL_HIDE_SUGGESTIONS,
    introspection: config.GRAPHQL_INTROSPECTION
  }
}

/**
 * graphql-armor throws its refusal as a "Syntax Error", which would stop
 * validation at the first limit and read like a typo. Reported instead, it
 * is an ordinary validation error (GRAPHQL_VALIDATION_FAILED, HTTP 400)
 * worded like "Query depth limit of 10 exceeded, found 12.".
 */
function report (context: ValidationContext | null, error: GraphQLError): void {
  context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, '')))
}

const ARMOR = { exposeLimits: true, propagateOnRejection: false, onReject: [report] }

/** The validation rules mercurius adds to graphql-js' specified ones. */
export function graphqlValidationRules (limits: GraphqlLimits): ValidationRule[] {
  const rules: ValidationRule[] = [
    // Fragments are flattened: moving fields into a fragment changes neither depth nor cost.
    maxDepthRule({ ...ARMOR, n: limits.maxDepth, ignoreIntrospection: true, flattenFragments: true }) as ValidationRule,
    // Every alias counts, `__typename`'s too (graphql-armor lets those through by default): a security
    // QA pass put 650 of them on each of 9800 listed policies, a 133 MB answer. No client aliases it.
    maxAliasesRule({ ...ARMOR, n: limits.maxAliases, allowList: [] }) as ValidationRule,
    costLimitRule({ ...ARMOR, maxCost: limits.maxCost, ignoreIntrospection: true, flattenFragments: true }) as ValidationRule
  ]
  rules.push(knownOperationTypesRule, stringLengthRule)
  rules.push(limits.introspection ? introspectionBreadthRule : NoSchemaIntrospectionCustomRule)
  return rules
}

/**
 * An operation type the schema has no root for (it has no subscriptions) is
 * refused at validation, so it is a request error (400) like any other
 * invalid document, not an execution failure. graphql-js 17's
 * KnownOperationTypesRule, worded alike.
 */
export function knownOperationTypesRule (context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition (node) {
      const root = context.getSchema().getRootType(node.operation)
      if (root === undefined || root === null) {
        context.reportError(new GraphQLError(`The ${node.operation} operation is not supported by the schema.`, { nodes: node }))
      }
    }
  }
}

/** A string written in the query holds at most MAX_ID_LENGTH characters. */
export function stringLengthRule (context: ValidationContext): ASTVisitor {
  return {
    StringValue (node) {
      if (node.value.length > MAX_ID_LENGTH) {
        context.reportError(new GraphQLError(`A string argument may hold at most ${MAX_ID_LENGTH} characters; this one holds ${node.value.length}.`, { nodes: node }))
      }
    }
  }
}

/**
 * mercurius preExecution hook: every string in the variables holds at most
 * MAX_ID_LENGTH characters (stringLengthRule, for what the query text
 * cannot bound). Walked without recursion: a body may nest deep.
 */
export function limitVariableStrings (_schema: unknown, _document: unknown, _ctx: unknown, variables: Record<string, unknown> | null | undefined): void {
  const stack: Array<[unknown, string]> = Object.entries(variables ?? {}).map(([name, value]) => [value, `$${name}`])
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const [value, path] = next
    if (typeof value === 'string') {
      if (value.length > MAX_ID_LENGTH) throw new errors.InvalidArgument(`variable ${path} may hold at most ${MAX_ID_LENGTH} characters; it holds ${value.length}`)
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => { stack.push([item, `${path}[${i}]`]) })
    } else if (typeof value === 'object' && value !== null) {
      for (const [key, item] of Object.entries(value)) stack.push([item, `${path}.${key}`])
    }
  }
}

/** The root fields that answer the schema itself; `__typename` is a plain field and not one of them. */
const INTROSPECTION_ROOTS: ReadonlySet<string> = new Set(['__schema', '__type'])

/**
 * An operation's `__schema` and `__type` root fields, by response key,
 * through root fragments. Fields under one key are merged by graphql-js
 * and answered once, so the keys count, not the fields.
 */
function introspectionRoots (selectionSet: SelectionSetNode, fragment: (name: string) => FragmentDefinitionNode | undefined): Map<string, FieldNode[]> {
  const roots = new Map<string, FieldNode[]>()
  const seen = new Set<string>()
  const visit = (set: SelectionSetNode): void => {
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        if (!INTROSPECTION_ROOTS.has(sel.name.value)) continue
        const key = sel.alias?.value ?? sel.name.value
        roots.set(key, [...(roots.get(key) ?? []), sel])
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        visit(sel.selectionSet)
      } else if (!seen.has(sel.name.value)) {
        // A fragment is counted once; a cycle is NoFragmentCyclesRule's to report.
        seen.add(sel.name.value)
        const def = fragment(sel.name.value)
        if (def !== undefined) visit(def.selectionSet)
      }
    }
  }
  visit(selectionSet)
  return roots
}

/** The first field under `set` (fragments included) whose alias renames it, if any. */
function renamingAlias (set: SelectionSetNode, fragment: (name: string) => FragmentDefinitionNode | undefined, seen: Set<string>): FieldNode | undefined {
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      if (sel.alias !== undefined && sel.alias.value !== sel.name.value) return sel
      const inner = sel.selectionSet === undefined ? undefined : renamingAlias(sel.selectionSet, fragment, seen)
      if (inner !== undefined) return inner
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      const inner = renamingAlias(sel.selectionSet, fragment, seen)
      if (inner !== undefined) return inner
    } else if (!seen.has(sel.name.value)) {
      seen.add(sel.name.value)
      const def = fragment(sel.name.value)
      const inner = def === undefined ? undefined : renamingAlias(def.selectionSet, fragment, seen)
      if (inner !== undefined) return inner
    }
  }
  return undefined
}

/**
 * Introspection's breadth: at most one `__schema` and one `__type` field per
 * operation, and no alias inside them. Without aliases every field appears
 * once per parent, so the answer is at most one copy of the schema (and of a
 * type), as deep as MaxIntrospectionDepthRule allows (GraphiQL's own query:
 * 57 KB); each alias would add another copy.
 */
export function introspectionBreadthRule (context: ValidationContext): ASTVisitor {
  const fragment = (name: string): FragmentDefinitionNode | undefined => context.getFragment(name) ?? undefined
  return {
    OperationDefinition (node) {
      const roots = introspectionRoots(node.selectionSet, fragment)
      for (const name of INTROSPECTION_ROOTS) {
        const keys = [...roots.values()].filter((fields) => fields[0]?.name.value === name)
        if (keys.length > 1) {
          context.reportError(new GraphQLError(`Introspection limit of 1 ${name} field exceeded, found ${keys.length}.`, { nodes: keys.flat() }))
          return
        }
      }
      const seen = new Set<string>()
      for (const field of [...roots.values()].flat()) {
        const aliased = field.selectionSet === undefined ? undefined : renamingAlias(field.selectionSet, fragment, seen)
        if (aliased !== undefined) {
          context.reportError(new GraphQLError(`Aliases are not allowed inside introspection, found "${aliased.alias?.value ?? ''}: ${aliased.name.value}".`, { nodes: aliased }))
          return
        }
      }
    }
  }
}

/** True when some operation of `document` has a `__schema` or `__type` root field. */
function introspects (document: DocumentNode): boolean {
  const fragments = new Map<string, FragmentDefinitionNode>()
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def)
  }
  return document.definitions.some((def) => def.kind === Kind.OPERATION_DEFINITION && introspectionRoots(def.selectionSet, (name) => fragments.get(name)).size > 0)
}

/**
 * mercurius preExecution hook: a batch of several operations may not
 * introspect. Introspection is answered alone (GraphiQL never batches it),
 * so a batch cannot ask for the schema ten times in one request. Runs on
 * every execution, cached documents included; a single operation pays one
 * comparison. Synchronous, like the other hooks run on every request.
 */
export function limitBatchIntrospection (_schema: unknown, document: DocumentNode, ctx: MercuriusContext): void {
  if ((ctx.operationsCount ?? 1) > 1 && introspects(document)) {
    throw new GraphQLError('Introspection (__schema, __type) is not allowed in a batch of several operations: send it alone.')
  }
}

/** graphql-js parse options: stop lexing past the token limit. */
export function graphqlParseOptions (limits: GraphqlLimits): { maxTokens: number } {
  return { maxTokens: limits.maxTokens }
}

/**
 * Route preValidation hook for /graphql: a batch (a JSON array) holds at
 * least one operation (an empty one is a client's mistake, not a request
 * answered with `[]`) and at most `max`.
 */
export function limitBatch (max: number): (request: FastifyRequest) => Promise<void> {
  return async function limitBatchSize (request) {
    if (!Array.isArray(request.body)) return
    if (request.body.length === 0) throw new errors.EmptyBatch()
    if (request.body.length > max) throw new errors.BatchTooLarge(max, request.body.length)
  }
}

/** What one request's answer may still list (GRAPHQL_MAX_NODES), a batch's operations together. */
export interface NodeBudget {
  /**
   * Take `n` items for a list about to be answered in `operation` (its
   * context: each operation of a batch has its own), each weighing
   * `tenths` tenths of an item (10, a whole one, by default): true when it
   * may be, false when it is to be answered empty. The first list refused
   * in each operation throws VBGW_TOO_MANY_NODES instead, so each answer
   * whose lists are cut says why.
   */
  take (operation: object, n: number, tenths?: number): boolean
  /** Lists refused in `operation`, the one with its error included. */
  refusedIn (operation: object): number
}
/**
 * What a collection name, or a policy's next run time, weighs against
 * GRAPHQL_MAX_NODES, in tenths of an item: a name is a string of at most
 * MAX_NAME_LENGTH characters on create, a run time 24 characters, a backup
 * an object of a dozen fields, and backups of twenty collections are
 * common. Counted at all, since a backup may name 10000 collections (fifty
 * aliases of a list of such backups answered a hundred million names), and
 * run times shared by equal schedules are computed once but written in
 * every field that asks (a QA pass had 18.6 million written in one answer).
 */
export const NAME_TENTHS = 1

/**
 * A request's budget of listed items. The first list that would go past
 * `max` is refused, and every list after it, whatever its size, is
 * answered empty. In each operation, the first list refused is null with
 * an error instead: a batch's operations share the budget, and one whose
 * lists are cut must not read as complete (an empty list with no error is
 * data a client caches). A query past its budget may still hold tens of
 * thousands of lists (fifty aliases under each item already listed): an
 * error for each would cost more than the lists did (graphql-js builds one
 * per field, with its path and stack), and fill the answer. The formatter
 * says how many more each operation had cut (error-format.ts).
 */
export function createNodeBudget (max: number): NodeBudget {
  // In tenths of an item: a collection name weighs one (NAME_TENTHS).
  let left = max * 10
  let spent = false
  const refused = new WeakMap<object, number>()
  return {
    refusedIn: (operation) => refused.get(operation) ?? 0,
    take (operation, n, tenths = 10) {
      if (!spent && n * tenths <= left) {
        left -= n * tenths
        return true
      }
      spent = true
      const count = (refused.get(operation) ?? 0) + 1
      refused.set(operation, count)
      if (count === 1) throw new errors.TooManyNodes(max)
      return false
    }
  }
}

/**
 * Route preValidation hook for /graphql, after the batch's size is checked:
 * a batch's operations past the first count against the rate limits too
 * (src/http/load-shedding.ts), before any of them runs.
 */
export function chargeBatch (app: FastifyInstance): (request: FastifyRequest, reply: FastifyReply) => Promise<void> {
  return async function chargeBatchOperations (request, reply) {
    if (Array.isArray(request.body) && request.body.length > 1) await app.chargeOperations?.(request, reply, request.body.length - 1)
  }
}

/**
 * Route preValidation hook for /graphql: a query text (a POST's, each one of
 * a batch's, an application/graphql body, a GET's `query`) holds at most
 * `max` bytes of UTF-8, refused before it is parsed. mercurius keeps each
 * document it parses, valid or not, keyed by its whole text, and a comment is
 * no token for GRAPHQL_MAX_TOKENS: without this a 1 MB `{ __typename } #xxx`
 * was parsed, needed no token, and stayed in memory.
 */
export function limitQueryBytes (max: number): (request: FastifyRequest) => Promise<void> {
  const check = (query: unknown): void => {
    // UTF-8 takes at most 3 bytes per UTF-16 unit: most queries need no count.
    if (typeof query !== 'string' || query.length * 3 <= max) return
    const bytes = Buffer.byteLength(query)
    if (bytes > max) throw new errors.InvalidArgument(`a query may hold at most ${max} bytes; this one holds ${bytes}`, 'query')
  }
  const each = (params: unknown): void => {
    if (typeof params !== 'object' || params === null) return
    const query = (params as { query?: unknown }).query
    if (Array.isArray(query)) query.forEach(check)
    else check(query)
  }
  return async function limitQuerySize (request) {
    if (Array.isArray(request.body)) request.body.forEach(each)
    else each(request.body)
    // A GET's query string; `?query=a&query=b` is an array until the route's schema refuses it.
    each(request.query)
  }
}

/**
 * mercurius preValidation hook (documents not yet cached): unlink the
 * lexer's chain of tokens. graphql-js links every token of a document,
 * comments included, from its first node's location, so a cached document
 * kept each comment as a token object: some 90 bytes per `#` line of two, a
 * page of comments 45 times its size in memory, though comments are no
 * tokens for GRAPHQL_MAX_TOKENS. Each node keeps the start and end tokens
 * its location names (graphql-jit reads their line and column), so errors
 * keep their locations.
 */
export function unlinkTokens (_schema: unknown, document: DocumentNode): void {
  let token: Token | null | undefined = document.loc?.startToken
  while (token !== null && token !== undefined) {
    const next: Token | null = token.next
    const links = token as { prev: Token | null, next: Token | null }
    links.prev = null
    links.next = null
    token = next
  }
}

/** graphql-js' hint at the end of a message: `Did you mean "x"?`, `Did you mean the enum value "Y"?`... */
const SUGGESTION = /\s*Did you mean [^?]*\?/g

/** A message without its "Did you mean ...?" hints. */
export function withoutSuggestion (message: string): string {
  return message.replace(SUGGESTION, '')
}

/** An error formatter's result, as far as suggestions are concerned. */
interface Formatted { statusCode: number, response: { errors?: ReadonlyArray<{ message: string }> } }

/** Wrap an error formatter so no message it writes suggests a field, argument, type or enum value. */
export function hidingSuggestions<A extends unknown[], R extends Formatted> (format: (...args: A) => R): (...args: A) => R {
  return (...args) => {
    const formatted = format(...args)
    for (const error of formatted.response.errors ?? []) (error as { message: string }).message = withoutSuggestion(error.message)
    return formatted
  }
}
