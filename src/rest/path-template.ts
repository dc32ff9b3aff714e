/**
 * `google.api.http` path templates, turned into what Fastify routes on and
 * what the 405 check matches against. Supported: literal segments and
 * single-segment variables (`{field}` or `{field=*}`), the only forms the
 * contract uses; anything else stops the boot with a message naming it.
 */
import { errors } from '../errors.js'

/** A compiled path template. */
export interface PathTemplate {
  /** As written in the proto, e.g. `/v1/vbase/{service_id}/backup`. */
  template: string
  /** find-my-way syntax, e.g. `/v1/vbase/:service_id/backup`. */
  fastifyPath: string
  /** OpenAPI syntax; the same as the template for single-segment variables. */
  openapiPath: string
  /** Matches a request path (without query) that this template routes. */
  regex: RegExp
  /** The leading literal segments, e.g. `/v1/vbase`, empty when the template starts with a variable. */
  literalPrefix: string
}

const VARIABLE = /^\{([A-Za-z_][A-Za-z0-9_]*)(?:=\*)?\}$/

function escapeRegex (s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

/** Compile one template; unsupported syntax is a boot-time VBGW_INVALID_CONFIG. */
export function compileTemplate (template: string): PathTemplate {
  if (!template.startsWith('/')) throw new errors.InvalidConfig(`http rule path "${template}" must start with "/"`)
  const segments = template.slice(1).split('/')
  const fastify: string[] = []
  const openapi: string[] = []
  const regex: string[] = []
  const prefix: string[] = []
  let literal = true
  for (const seg of segments) {
    const variable = VARIABLE.exec(seg)
    if (variable !== null) {
      literal = false
      fastify.push(`:${variable[1] as string}`)
      openapi.push(`{${variable[1] as string}}`)
      regex.push('[^/]+')
    } else if (/[{}*]/.test(seg) || seg === '') {
      throw new errors.InvalidConfig(`http rule path "${template}": segment "${seg}" is not supported (only literals and {field})`)
    } else {
      if (literal) prefix.push(seg)
      // find-my-way reads ":" as a parameter; "::" is a literal colon (custom verbs).
      fastify.push(seg.replace(/:/g, '::'))
      openapi.push(seg)
      regex.push(escapeRegex(seg))
    }
  }
  return {
    template,
    fastifyPath: '/' + fastify.join('/'),
    openapiPath: '/' + openapi.join('/'),
    regex: new RegExp(`^/${regex.join('/')}$`),
    literalPrefix: prefix.length === 0 ? '' : '/' + prefix.join('/')
  }
}
