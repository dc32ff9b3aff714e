/**
 * GraphQL limits: what one request may ask for, judged before any resolver
 * runs, so a refused operation makes no upstream call.
 *
 * - Tokens: graphql-js' own `maxTokens` parse option (what graphql-armor's
 *   max-tokens does through its parser), so an oversized document is not
 *   even parsed to the end.
 * - Depth, aliases, cost: graphql-armor's validation rules, given to
 *   mercurius as `validationRules`. Each operation of a batch is validated
 *   on its own, so each is held to the limits.
 * - Introspection: allowed or not (graphql-js' NoSchemaIntrospectionCustomRule).
 *   The limits do not count `__schema` (GraphiQL's schema query alone is
 *   deeper and costlier than any real operation); graphql-js' built-in
 *   MaxIntrospectionDepthRule bounds how deep an introspection query nests.
 * - Batch size: a route preValidation hook, before any operation starts.
 * - Suggestions: "Did you mean ...?" hints taken out of error messages.
 */
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit'
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases'
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth'
import type { FastifyRequest } from 'fastify'
import { GraphQLError, NoSchemaIntrospectionCustomRule, type ValidationContext, type ValidationRule } from 'graphql'
import type { Config } from '../config.js'
import { errors } from '../errors.js'

/** The GraphQL limits, from the config. */
export interface GraphqlLimits {
  maxDepth: number
  maxAliases: number
  maxTokens: number
  maxCost: number
  maxBatch: number
  hideSuggestions: boolean
  introspection: boolean
}

/** The config variables the limits come from. */
export type GraphqlLimitsConfig = Pick<Config, 'GRAPHQL_MAX_DEPTH' | 'GRAPHQL_MAX_ALIASES' | 'GRAPHQL_MAX_TOKENS' | 'GRAPHQL_MAX_COST' |
  'GRAPHQL_MAX_BATCH' | 'GRAPHQL_HIDE_SUGGESTIONS' | 'GRAPHQL_INTROSPECTION'>

/** Read the limits from the config. */
export function graphqlLimits (config: GraphqlLimitsConfig): GraphqlLimits {
  return {
    maxDepth: config.GRAPHQL_MAX_DEPTH,
    maxAliases: config.GRAPHQL_MAX_ALIASES,
    maxTokens: config.GRAPHQL_MAX_TOKENS,
    maxCost: config.GRAPHQL_MAX_COST,
    maxBatch: config.GRAPHQL_MAX_BATCH,
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
    maxAliasesRule({ ...ARMOR, n: limits.maxAliases }) as ValidationRule,
    costLimitRule({ ...ARMOR, maxCost: limits.maxCost, ignoreIntrospection: true, flattenFragments: true }) as ValidationRule
  ]
  if (!limits.introspection) rules.push(NoSchemaIntrospectionCustomRule)
  return rules
}

/** graphql-js parse options: stop lexing past the token limit. */
export function graphqlParseOptions (limits: GraphqlLimits): { maxTokens: number } {
  return { maxTokens: limits.maxTokens }
}

/** Route preValidation hook for /graphql: a batch (a JSON array) holds at most `max` operations. */
export function limitBatch (max: number): (request: FastifyRequest) => Promise<void> {
  return async function limitBatchSize (request) {
    if (Array.isArray(request.body) && request.body.length > max) throw new errors.BatchTooLarge(max, request.body.length)
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
