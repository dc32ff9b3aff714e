/**
 * The VBase contract, loaded once from `proto/`. Every fact about a method
 * (HTTP rule, read or write, request/response types, comments) is read from
 * here: REST routes, OpenAPI, retries and caching derive from this table.
 */
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as protoLoader from '@grpc/proto-loader'
import protobuf from 'protobufjs'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { VBaseServiceDefinition } from '../generated/dodil/vbase/v1/VBaseService.js'

const require = createRequire(import.meta.url)

/**
 * The package's root, where proto/ and schema.graphql are: the nearest
 * directory above this module holding a package.json. This module sits in
 * src/upstream, dist/upstream or, under `npm test`, in the suite's
 * transpiled tree (dist-test/src/upstream): not always at the same depth.
 */
export const ROOT_DIR = packageRoot(path.dirname(fileURLToPath(import.meta.url)))

function packageRoot (from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`)
  }
}
export const PROTO_DIR = path.join(ROOT_DIR, 'proto')
export const GOOGLE_PROTOS_DIR = path.dirname(require.resolve('google-proto-files/package.json'))
export const PROTO_FILE = 'dodil/vbase/v1/vbase.proto'
export const PACKAGE = 'dodil.vbase.v1'
export const SERVICE_NAME = `${PACKAGE}.VBaseService`

/**
 * The one set of proto-loader options. `npm run generate` passes the same
 * flags to proto-loader-gen-types so the generated types match at run time.
 */
export const LOADER_OPTIONS: protoLoader.Options = {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: false,
  includeDirs: [PROTO_DIR, GOOGLE_PROTOS_DIR]
}

type Def = VBaseServiceDefinition
// The generated definition extends grpc-js' ServiceDefinition, whose string
// index signature would widen `keyof` to `string`; keep the literal names only.
type KnownKeys<T> = keyof { [K in keyof T as string extends K ? never : number extends K ? never : K]: T[K] }
/** Names of the nine VBaseService methods. */
export type MethodName = KnownKeys<Def> & string
/** What a caller may send for a method (permissive input type). */
export type RequestOf<M extends MethodName> = Parameters<Def[M]['requestSerialize']>[0]
/** What a method answers, as decoded with LOADER_OPTIONS. */
export type ResponseOf<M extends MethodName> = ReturnType<Def[M]['responseDeserialize']>
/** What a server handler receives for a method. */
export type DecodedRequestOf<M extends MethodName> = ReturnType<Def[M]['requestDeserialize']>

export type HttpVerb = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/** A method's `google.api.http` rule. */
export interface HttpRule {
  verb: HttpVerb
  /** The template as written, e.g. `/v1/vbase/{service_id}/backup`. */
  pathTemplate: string
  /** Field names bound from the path, in order of appearance. */
  pathParams: string[]
  /** `*` for the whole body, a field name, or undefined for no body. */
  body: string | undefined
}

/** Everything the gateway knows about one method. */
export interface MethodInfo {
  name: MethodName
  /** gRPC path, e.g. `/dodil.vbase.v1.VBaseService/ListBackups`. */
  grpcPath: string
  http: HttpRule
  /** True for `idempotency_level = NO_SIDE_EFFECTS`: cacheable and retryable. */
  read: boolean
  /** True for methods outside the published inventory (ListBackupPolicies). */
  extension: boolean
  description: string
  requestType: protobuf.Type
  responseType: protobuf.Type
  definition: MethodDefinition<object, object>
}

function resolveImport (origin: string, target: string): string {
  if (path.isAbsolute(target)) return target
  for (const dir of LOADER_OPTIONS.includeDirs ?? []) {
    const candidate = path.join(dir, target)
    if (existsSync(candidate)) return candidate
  }
  return path.resolve(path.dirname(origin), target)
}

const HTTP_VERBS: HttpVerb[] = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']

function parseHttpRule (method: protobuf.Method): HttpRule {
  const raw = method.parsedOptions?.find((o: Record<string, unknown>) => '(google.api.http)' in o)?.['(google.api.http)'] as Record<string, string> | undefined
  if (raw === undefined) throw new TypeError(`method ${method.name} has no google.api.http rule`)
  const verb = HTTP_VERBS.find((v) => typeof raw[v.toLowerCase()] === 'string')
  if (verb === undefined) throw new TypeError(`method ${method.name} has an http rule without a verb`)
  const pathTemplate = raw[verb.toLowerCase()] as string
  const pathParams = [...pathTemplate.matchAll(/\{([a-z0-9_.]+)(?:=[^}]*)?\}/g)].map((m) => m[1] as string)
  return { verb, pathTemplate, pathParams, body: raw.body === '' ? undefined : raw.body }
}

/** True for a field the reference requires: `[(google.api.field_behavior) = REQUIRED]` in the proto. */
export function isRequired (field: protobuf.Field): boolean {
  const behavior: unknown = field.options?.['(google.api.field_behavior)']
  return behavior === 'REQUIRED' || (Array.isArray(behavior) && behavior.includes('REQUIRED'))
}

/** Strip comment markers and join lines into one description. */
export function describe (obj: { comment: string | null }): string {
  return (obj.comment ?? '').split('\n').map((l) => l.trim()).filter(Boolean).join(' ')
}

/** The loaded contract: the protobufjs root, the grpc-js package definition and the method table. */
export interface Contract {
  root: protobuf.Root
  service: protobuf.Service
  serviceDefinition: Def
  methods: ReadonlyMap<MethodName, MethodInfo>
  method (name: MethodName): MethodInfo
}

function loadContract (): Contract {
  const root = new protobuf.Root()
  root.resolvePath = resolveImport
  root.loadSync(path.join(PROTO_DIR, PROTO_FILE), { keepCase: true, alternateCommentMode: true })
  root.resolveAll()
  const service = root.lookupService(SERVICE_NAME)
  const packageDefinition = protoLoader.fromJSON(root.toJSON({ keepComments: false }), LOADER_OPTIONS)
  const serviceDefinition = packageDefinition[SERVICE_NAME] as unknown as Def
  const methods = new Map<MethodName, MethodInfo>()
  for (const m of service.methodsArray) {
    const name = m.name as MethodName
    const description = describe(m)
    methods.set(name, {
      name,
      grpcPath: `/${SERVICE_NAME}/${m.name}`,
      http: parseHttpRule(m),
      read: m.getOption('idempotency_level') === 'NO_SIDE_EFFECTS',
      extension: /^Extension\b/.test(description),
      description,
      requestType: root.lookupType(m.requestType),
      responseType: root.lookupType(m.responseType),
      definition: serviceDefinition[name] as unknown as MethodDefinition<object, object>
    })
  }
  return {
    root,
    service,
    serviceDefinition,
    methods,
    method (name) {
      const info = methods.get(name)
      if (info === undefined) throw new TypeError(`unknown method ${name}`)
      return info
    }
  }
}

/** The contract, parsed once per process. */
export const contract: Contract = loadContract()
