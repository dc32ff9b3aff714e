/**
 * Bearer-token authentication. Each token stands for one organization, as
 * `SIM_TOKENS` lists them (`token=organization-uuid,...`); without a list the
 * documented dev token stands for the seeded demo organization. A raw token
 * never appears in a message or a log line.
 */
import type { Metadata } from '@grpc/grpc-js'
import { errors } from '../errors.js'
import { isUuid } from '../upstream/validate.js'
import { unauthenticated } from './rpc-error.js'
import { DEMO_ORG_ID, DEV_TOKEN } from './seed.js'

/** Token -> organization id. */
export type TokenTable = ReadonlyMap<string, string>

/**
 * Parse the `SIM_TOKENS` format. Undefined or blank means the dev token only.
 * A malformed list throws VBGW_INVALID_CONFIG: it is a boot-time mistake.
 */
export function parseTokens (tokens?: string): TokenTable {
  const table = new Map<string, string>()
  if (tokens === undefined || tokens.trim() === '') {
    table.set(DEV_TOKEN, DEMO_ORG_ID)
    return table
  }
  for (const [i, pair] of tokens.split(',').entries()) {
    const eq = pair.indexOf('=')
    const token = pair.slice(0, eq).trim()
    const org = pair.slice(eq + 1).trim()
    // Name the entry by position, never by value: the value is a secret.
    if (eq < 0 || token === '' || /\s/.test(token)) throw new errors.InvalidConfig(`SIM_TOKENS entry ${i + 1} must be token=organization-uuid`)
    if (!isUuid(org)) throw new errors.InvalidConfig(`SIM_TOKENS entry ${i + 1}: the organization must be a UUID`)
    if (table.has(token)) throw new errors.InvalidConfig(`SIM_TOKENS entry ${i + 1} repeats a token`)
    table.set(token, org.toLowerCase())
  }
  return table
}

/** The organization the call's bearer token stands for; UNAUTHENTICATED otherwise. */
export function authenticate (metadata: Metadata, tokens: TokenTable): string {
  const values = metadata.get('authorization')
  if (values.length === 0) throw unauthenticated('missing authorization metadata: send "authorization: Bearer <token>"')
  if (values.length > 1) throw unauthenticated('more than one authorization value')
  const value = String(values[0]).trim()
  // The auth scheme is case-insensitive (RFC 7235); the token is not.
  const match = /^bearer\s+(\S+)$/i.exec(value)
  if (match === null) throw unauthenticated('authorization must use the Bearer scheme: "Bearer <token>"')
  const org = tokens.get(match[1] as string)
  if (org === undefined) throw unauthenticated('invalid bearer token')
  return org
}
