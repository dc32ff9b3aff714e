import t from 'tap'
import { Validator } from '@seriousme/openapi-schema-validator'
import { buildOpenApi } from '../../src/rest/openapi.js'
import { restRoutes } from '../../src/rest/routes.js'
import { contract } from '../../src/upstream/contract.js'
import { validateRequest } from '../../src/upstream/validate.js'
import { FULL_REQUESTS, ORG } from '../helpers/requests.js'
import { DEMO_ORG_ID, DEMO_SERVICE_IDS, DEV_TOKEN } from '../../src/simulator/index.js'
import { buildTestApp } from '../helpers/app.js'

const [CATALOG] = DEMO_SERVICE_IDS

interface Operation {
  operationId: string
  description: string
  parameters: Array<{ name: string, in: string, required: boolean, description?: string }>
  requestBody?: { content: Record<string, { schema: { $ref: string } }> }
  responses: Record<string, { content?: Record<string, { schema: { $ref: string } }>, headers?: Record<string, unknown> }>
}
interface Doc {
  openapi: string
  paths: Record<string, Record<string, Operation>>
  security: unknown[]
  components: { schemas: Record<string, { description?: string, properties?: Record<string, { description?: string }>, enum?: string[] }>, securitySchemes: Record<string, unknown> }
}

const doc = buildOpenApi(restRoutes(), { names: 'proto' }) as unknown as Doc
const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([verb, op]) => ({ path, verb, op })))

t.test('the document passes the OpenAPI 3.1 schema', async (t) => {
  const validator = new Validator()
  const result = await validator.validate(doc as unknown as Record<string, unknown>)
  t.same(result.errors, undefined)
  t.equal(result.valid, true)
  t.equal(validator.version, '3.1')
})

t.test('a broken document fails the validator (the check can fail)', async (t) => {
  const broken = structuredClone(doc) as unknown as { paths: Record<string, Record<string, { responses?: unknown }>> }
  delete broken.paths['/v1/vbase/{service_id}/backup']!.get!.responses
  broken.paths['/v1/vbase/{service_id}/backup']!.get!.responses = 'none'
  t.equal((await new Validator().validate(broken)).valid, false)
})

t.test('all 9 operations, each at its rule\'s path and verb', async (t) => {
  t.equal(operations.length, 9)
  for (const m of contract.methods.values()) {
    const op = doc.paths[m.http.pathTemplate]?.[m.http.verb.toLowerCase()]
    t.equal(op?.operationId, m.name, `${m.http.verb} ${m.http.pathTemplate}`)
    t.equal(op?.description.startsWith(m.description), true, `${m.name} description from the proto`)
    t.same(op?.parameters.filter((p) => p.in === 'path').map((p) => p.name), m.http.pathParams)
    t.equal(op?.requestBody !== undefined, m.http.body === '*', `${m.name} request body`)
    t.equal(op?.responses['200']?.content?.['application/json']?.schema.$ref, `#/components/schemas/${m.responseType.name}`)
    t.equal(op?.responses['200']?.headers !== undefined, m.read, `${m.name} caching headers documented on reads`)
    t.equal(op?.responses.default?.content?.['application/json']?.schema.$ref, '#/components/schemas/Status')
    for (const code of ['400', '401']) t.equal(op?.responses[code]?.content?.['application/json']?.schema.$ref, '#/components/schemas/Status', `${m.name} ${code}`)
  }
  t.same((doc as unknown as { servers: unknown }).servers, [{ url: '/', description: 'this vbase-gateway' }], 'served from the gateway itself')
})

t.test('schemas come from the messages, descriptions from the proto comments', async (t) => {
  const { schemas } = doc.components
  t.equal(schemas.Backup?.description, 'A backup job and the artifact it produces.')
  t.equal(schemas.Backup?.properties?.size_bytes?.description, 'Size of the backup artifact in bytes; 0 until the job completes.')
  t.match(schemas.Backup?.properties?.created_at, { type: 'string', format: 'date-time' })
  t.match(schemas.Backup?.properties?.size_bytes, { type: 'string', format: 'int64' })
  t.same((schemas.JobStatus as { anyOf?: Array<{ enum?: string[] }> }).anyOf?.[0]?.enum, ['JOB_STATUS_UNSPECIFIED', 'PENDING', 'RUNNING', 'COMPLETED', 'FAILED'])
  t.match(schemas.Status, { required: ['code', 'message', 'details'] })
  t.ok(schemas.CreateBackupRequest, 'request messages are schemas too')
  const param = doc.paths['/v1/vbase/{service_id}/backup/policy/{policy_id}']?.post?.parameters.find((p) => p.name === 'policy_id')
  t.match(param, { in: 'path', required: true, description: 'UUID of the policy to update.' })
})

t.test('what every answer holds is required; an enum value a newer VBase adds is its number; a body a route reads as {} is optional', async (t) => {
  const required = (name: string): string[] | undefined => (doc.components.schemas[name] as { required?: string[] } | undefined)?.required
  t.same(required('ListBackupsResponse'), ['backups'])
  t.same(required('Backup'), ['name', 'service_id', 'organization_id', 'db_name', 'collection_names', 'status', 'size_bytes', 'error_message'],
    'plain scalars and lists; not the times (messages) nor policy_id (optional)')
  t.same(required('BackupPolicy'), ['id', 'service_id', 'organization_id', 'schedule_cron', 'retention_count', 'is_active'])
  t.match(doc.components.schemas.JobStatus, { anyOf: [{ type: 'string' }, { type: 'integer' }] })
  const body = (path: string, verb: string): { required?: boolean } | undefined => (doc.paths[path]?.[verb] as { requestBody?: { required?: boolean } } | undefined)?.requestBody
  t.equal(body('/v1/vbase/backup/org/{organization_id}', 'post')?.required, false, 'ListBackupByOrg: its one field is in the path')
  t.equal(body('/v1/vbase/{service_id}/backup', 'post')?.required, true)
})

t.test("request fields carry what the gateway checks of them, and the gateway holds to it: past each bound it refuses, at it it does not", async (t) => {
  const VALID = FULL_REQUESTS
  type Field = { type?: string, format?: string, pattern?: string, minLength?: number, maxLength?: number, minItems?: number, maxItems?: number, minimum?: number, items?: Field }
  let checked = 0
  for (const m of contract.methods.values()) {
    // A body's schema, or for a method without one its parameters'.
    const op = doc.paths[m.http.pathTemplate]?.[m.http.verb.toLowerCase()]
    const props = (doc.components.schemas[m.requestType.name] as { properties: Record<string, Field> } | undefined)?.properties ??
      Object.fromEntries((op?.parameters ?? []).map((p) => [p.name, (p as { schema?: Field }).schema ?? {}]))
    const valid = VALID[m.name]
    t.doesNotThrow(() => validateRequest(m.name, valid), `${m.name}: the valid request`)
    for (const [field, schema] of Object.entries(props)) {
      const cases: Array<[unknown, boolean]> = []
      if (schema.format === 'uuid') cases.push(['not-a-uuid', false], [ORG.toUpperCase(), true])
      if (schema.minLength !== undefined && schema.minLength > 0) cases.push(['', false])
      const shaped = schema.format !== undefined || (schema.pattern ?? '').startsWith('^') || field === 'schedule_cron'
      if (schema.maxLength !== undefined && schema.type === 'string' && !shaped) cases.push(['n'.repeat(schema.maxLength + 1), false], ['n'.repeat(schema.maxLength), true])
      if (schema.minimum !== undefined) cases.push([schema.minimum - 1, false], [schema.minimum, true])
      if (schema.minItems !== undefined) cases.push([[], false])
      if (schema.maxItems !== undefined) cases.push([Array.from({ length: schema.maxItems + 1 }, () => 'c'), false], [Array.from({ length: schema.maxItems }, () => 'c'), true])
      if (schema.items?.maxLength !== undefined) cases.push([['n'.repeat(schema.items.maxLength + 1)], false], [['n'.repeat(schema.items.maxLength)], true])
      for (const [value, allowed] of cases) {
        checked++
        const request = { ...valid, [field]: value }
        const label = `${m.name}.${field} = ${JSON.stringify(value).slice(0, 30)}`
        if (allowed) t.doesNotThrow(() => validateRequest(m.name, request), `${label}: within the document, sent on`)
        else t.throws(() => validateRequest(m.name, request), { code: 'VBGW_INVALID_ARGUMENT', field: new RegExp(`^${field}`) }, `${label}: outside the document, refused`)
      }
    }
  }
  t.ok(checked > 40, `${checked} bounds checked`)
  t.match(doc.components.schemas.UpdateBackupPolicyRequest?.properties?.organization_id, { pattern: /^\^\$\|/ }, 'empty is "not given" on update')
  t.equal((doc.paths['/v1/vbase/{service_id}/backup/policy/{policy_id}']?.post?.parameters.find((p) => p.name === 'policy_id') as { schema?: Field } | undefined)?.schema?.format, 'uuid', 'path parameters too')
})

t.test('live answers hold what the document requires of them', async (t) => {
  const { app } = await buildTestApp(t)
  const auth = { authorization: `Bearer ${DEV_TOKEN}` }
  const schemas = doc.components.schemas as Record<string, Record<string, unknown>>
  /** The paths of required keys an answer lacks, walking the schema through refs, objects and arrays. */
  const missing = (value: unknown, schema: Record<string, unknown>, at: string): string[] => {
    const ref = schema.$ref
    if (typeof ref === 'string') return missing(value, schemas[ref.split('/').pop() as string] ?? {}, at)
    if (Array.isArray(value)) return value.flatMap((v, i) => missing(v, (schema.items ?? {}) as Record<string, unknown>, `${at}[${i}]`))
    if (typeof value !== 'object' || value === null) return []
    const out = ((schema.required ?? []) as string[]).filter((k) => !(k in value)).map((k) => `${at}.${k}`)
    for (const [k, v] of Object.entries(value)) {
      const sub = (schema.properties as Record<string, Record<string, unknown>> | undefined)?.[k]
      if (sub !== undefined) out.push(...missing(v, sub, `${at}.${k}`))
    }
    return out
  }
  const answers = [
    ['ListBackupsResponse', await app.inject({ url: `/v1/vbase/${CATALOG}/backup`, headers: auth })],
    ['ListBackupByOrgResponse', await app.inject({ method: 'POST', url: `/v1/vbase/backup/org/${DEMO_ORG_ID}`, headers: auth })],
    ['ListBackupPoliciesResponse', await app.inject({ url: `/v1/vbase/${CATALOG}/backup/policy`, headers: auth })],
    ['CreateBackupResponse', await app.inject({ method: 'POST', url: `/v1/vbase/${CATALOG}/backup`, headers: auth, payload: { organization_id: DEMO_ORG_ID, db_name: 'd', collection_names: ['c'] } })],
    ['Status', await app.inject({ method: 'POST', url: `/v1/vbase/${CATALOG}/backup`, headers: auth, payload: { organization_id: 'acme' } })]
  ] as const
  for (const [name, res] of answers) {
    const json = res.json() as unknown
    t.ok(JSON.stringify(json).length > 20, `${name}: an answer`)
    t.same(missing(json, { $ref: `#/components/schemas/${name}` }, name), [], `${name}: every required key present`)
  }
})

t.test('bearer security scheme applies to every operation', async (t) => {
  t.match(doc.components.securitySchemes.bearerAuth, { type: 'http', scheme: 'bearer' })
  t.same(doc.security, [{ bearerAuth: [] }])
})

t.test('lowerCamelCase field names when configured', async (t) => {
  const camel = buildOpenApi(restRoutes(), { names: 'json' }) as unknown as Doc
  t.ok(camel.components.schemas.Backup?.properties?.sizeBytes)
  t.notOk(camel.components.schemas.Backup?.properties?.size_bytes)
  t.ok((await new Validator().validate(camel as unknown as Record<string, unknown>)).valid)
})

t.test("request bodies mark what the reference requires (the proto's REQUIRED fields), less what the path carries", async (t) => {
  const required = (name: string, d: Doc = doc): unknown => (d.components.schemas[name] as { required?: string[] } | undefined)?.required
  t.same(required('CreateBackupRequest'), ['organization_id', 'db_name', 'collection_names'], 'backup_name is optional; service_id is in the path')
  t.same(required('RestoreBackupRequest'), ['organization_id', 'backup_name', 'db_name', 'collection_names'])
  t.same(required('CreateBackupPolicyRequest'), ['organization_id', 'schedule_cron', 'retention_count'])
  t.same(required('UpdateBackupPolicyRequest'), ['schedule_cron', 'retention_count'], 'organization_id and is_active optional on update')
  t.same(required('ListBackupByOrgRequest'), undefined, 'its one field is in the path')
  const camel = buildOpenApi(restRoutes(), { names: 'json' }) as unknown as Doc
  t.same(required('CreateBackupRequest', camel), ['organizationId', 'dbName', 'collectionNames'], 'in the configured names')
})
