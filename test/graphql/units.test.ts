/**
 * The GraphQL surface's pure parts, without a server: paging, scalars, the
 * limiter, field naming, introspection detection and media types; and the
 * schema file itself (every type and field described).
 */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { buildSchema, GraphQLError, isObjectType, isInputObjectType, isEnumType, parse } from 'graphql'
import type { MercuriusContext } from 'mercurius'
import { errors } from '../../src/errors.js'
import { formatErrors, MAX_ERROR_LINES } from '../../src/graphql/error-format.js'
import { backupConnection } from '../../src/graphql/connection.js'
import { createLimiter } from '../../src/graphql/fetcher.js'
import { backupsOf, backupsOfOrg } from '../../src/graphql/loaders.js'
import { isIntrospectionOnly, wantsGraphqlResponse } from '../../src/graphql/http.js'
import { SERVICE_OF, type BackupNode } from '../../src/graphql/model.js'
import { deepFreeze } from '../../src/deep-freeze.js'
import { argName, inputName } from '../../src/graphql/names.js'
import { SCHEMA_FILE } from '../../src/graphql/plugin.js'
import { DateTime, Int64, isoStringsHeld, MAX_ISO_STRINGS, toIso } from '../../src/graphql/scalars.js'

function backup (name: string, seconds: number, status: BackupNode['status'] = 'COMPLETED', serviceId = 'svc'): BackupNode {
  return { name, serviceId, organizationId: 'org', dbName: 'db', collectionNames: ['c'], status, createdAt: { seconds: String(seconds), nanos: 0 }, completedAt: null, sizeBytes: '1', policyId: null, errorMessage: null }
}

const ALL = [backup('b', 20), backup('a', 10, 'FAILED'), backup('d', 40), backup('c', 30, 'PENDING'), backup('e', 50)]
const names = (c: { nodes: BackupNode[] }): string[] => c.nodes.map((n) => n.name)

t.test('backupConnection: newest first by default, status filter, totals', async (t) => {
  const c = backupConnection(ALL, {})
  t.same(names(c), ['e', 'd', 'c', 'b', 'a'])
  t.equal(c.totalCount, 5)
  t.same(c.pageInfo, { hasNextPage: false, hasPreviousPage: false, startCursor: c.edges[0]?.cursor, endCursor: c.edges[4]?.cursor })
  const failed = backupConnection(ALL, { status: ['FAILED', 'PENDING'] })
  t.same(names(failed), ['c', 'a'])
  t.equal(failed.totalCount, 2)
  t.same(names(backupConnection(ALL, { orderBy: { field: 'NAME', direction: 'ASC' } })), ['a', 'b', 'c', 'd', 'e'])
  t.same(names(backupConnection(ALL, { orderBy: { field: 'CREATED_AT', direction: 'ASC' } })), ['a', 'b', 'c', 'd', 'e'])
})

t.test('backupConnection: forward and backward paging visit every item once', async (t) => {
  const seen: string[] = []
  let after: string | null = null
  for (let page = 0; page < 10; page++) {
    const c = backupConnection(ALL, { first: 2, after })
    seen.push(...names(c))
    t.equal(c.pageInfo.hasPreviousPage, page > 0)
    if (!c.pageInfo.hasNextPage) break
    after = c.pageInfo.endCursor
  }
  t.same(seen, ['e', 'd', 'c', 'b', 'a'])

  const tail = backupConnection(ALL, { last: 2 })
  t.same(names(tail), ['b', 'a'])
  t.same([tail.pageInfo.hasPreviousPage, tail.pageInfo.hasNextPage], [true, false])
  const before = backupConnection(ALL, { last: 2, before: tail.pageInfo.startCursor })
  t.same(names(before), ['d', 'c'])
  t.same([before.pageInfo.hasPreviousPage, before.pageInfo.hasNextPage], [true, true])
  t.same(names(backupConnection(ALL, { first: 0 })), [])
})

t.test('backupConnection: a cursor survives the deletion of its item', async (t) => {
  const first = backupConnection(ALL, { first: 2 })
  const withoutD = ALL.filter((b) => b.name !== 'd')
  t.same(names(backupConnection(withoutD, { first: 2, after: first.pageInfo.endCursor })), ['c', 'b'])
})

t.test('backupConnection: bad arguments are BAD_USER_INPUT naming the argument', async (t) => {
  const nameCursor = backupConnection(ALL, { orderBy: { field: 'NAME', direction: 'ASC' }, first: 1 }).pageInfo.endCursor
  t.throws(() => backupConnection(ALL, { after: 'not-a-cursor' }), { code: 'VBGW_INVALID_ARGUMENT', field: 'after' })
  t.throws(() => backupConnection(ALL, { before: Buffer.from('["CREATED_AT:DESC",[1]]').toString('base64url') }), { code: 'VBGW_INVALID_ARGUMENT', field: 'before' })
  t.throws(() => backupConnection(ALL, { after: nameCursor }), { code: 'VBGW_INVALID_ARGUMENT', field: 'after', message: /another orderBy/ })
  t.throws(() => backupConnection(ALL, { first: -1 }), { code: 'VBGW_INVALID_ARGUMENT', field: 'first' })
  t.throws(() => backupConnection(ALL, { last: -3 }), { code: 'VBGW_INVALID_ARGUMENT', field: 'last' })
})

t.test('an answer is mapped once, whichever request reads it; the nodes it maps to are frozen, cycles too', async (t) => {
  const backup = (name: string, serviceId: string): object => ({
    name, service_id: serviceId, organization_id: 'org', db_name: 'db', collection_names: ['c'], status: 'COMPLETED',
    created_at: { seconds: '1', nanos: 0 }, completed_at: null, size_bytes: '1', policy_id: '', error_message: ''
  })
  // As the list cache hands it to every read of the same JSON: one frozen object.
  const list = deepFreeze({ backups: [backup('b-1', 'svc-1'), backup('b-2', 'svc-2')] })
  const reads = { n: 0 }
  const request = (): MercuriusContext => ({ upstream: { read: async () => { reads.n++; return list } } }) as unknown as MercuriusContext
  const first = await backupsOf(request(), { id: 'svc-1' })
  const second = await backupsOf(request(), { id: 'svc-1' })
  t.equal(reads.n, 2, 'each request reads')
  t.equal(second, first, 'and gets the nodes mapped at the first')
  t.ok(Object.isFrozen(first) && Object.isFrozen(first[0]), 'frozen')
  t.throws(() => { (first[0] as { name: string }).name = 'x' }, TypeError)

  const org = deepFreeze({ backups: [backup('b-1', 'svc-1'), backup('b-2', 'svc-2')] })
  const ofOrg = (): MercuriusContext => ({ upstream: { read: async () => org } }) as unknown as MercuriusContext
  const nodes = await backupsOfOrg(ofOrg(), 'org')
  t.equal(await backupsOfOrg(ofOrg(), 'org'), nodes)
  const service = nodes[1]?.[SERVICE_OF]
  t.equal(service?.id, 'svc-2', 'each backup knows its service')
  t.ok(Object.isFrozen(service), 'the service reference, which holds the backup again, is frozen too')
})

t.test('formatted instants are remembered, within a bound, and always right', async (t) => {
  // Spread over years and milliseconds, so a wrong lookup would show.
  const instants = Array.from({ length: MAX_ISO_STRINGS + 500 }, (_, i) => 1_000_000_000_000 + i * 86_400_123 + (i % 1000))
  for (const round of [1, 2]) {
    for (const ms of instants) {
      if (toIso(ms) !== new Date(ms).toISOString()) { t.fail(`${ms} in round ${round}`); return }
    }
  }
  t.equal(isoStringsHeld(), MAX_ISO_STRINGS, 'no more than the bound, however many instants')
  t.equal(toIso(instants[0] as number), new Date(instants[0] as number).toISOString(), 'an evicted instant is formatted again')
  t.throws(() => toIso(253402300800000), TypeError, 'the range check comes before any lookup')
})

t.test('DateTime serializes RFC 3339 UTC and parses only RFC 3339', async (t) => {
  t.equal(DateTime.serialize({ seconds: '1778491800', nanos: 123_456_789 }), '2026-05-11T09:30:00.123Z')
  t.equal(DateTime.serialize(new Date(0)), '1970-01-01T00:00:00.000Z')
  t.throws(() => DateTime.serialize('yesterday'))
  t.equal((DateTime.parseValue('2026-05-11T11:30:00+02:00') as Date).toISOString(), '2026-05-11T09:30:00.000Z')
  t.equal((DateTime.parseValue('2024-02-29T23:59:59.9999Z') as Date).toISOString(), '2024-02-29T23:59:59.999Z')
  t.throws(() => DateTime.parseValue('2026-05-11'), { code: 'VBGW_INVALID_ARGUMENT' })
  // The RFC 3339 shape, but no such instant: new Date() would roll these over to the next month or day.
  for (const text of ['2026-02-30T00:00:00Z', '2026-02-29T00:00:00Z', '2026-06-31T12:00:00Z', '2026-05-11T24:00:00Z', '2026-05-11T10:00:00+02:60']) {
    t.throws(() => DateTime.parseValue(text), { code: 'VBGW_INVALID_ARGUMENT' }, text)
  }
  t.throws(() => DateTime.parseValue('9999-12-31T23:30:00-01:00'), { code: 'VBGW_INVALID_ARGUMENT' }, 'past year 9999 in UTC')
  t.throws(() => DateTime.serialize({ seconds: '253402300800', nanos: 0 }), TypeError, 'year 10000 has no RFC 3339 form')
  t.equal(DateTime.serialize({ seconds: '253402300799', nanos: 999_000_000 }), '9999-12-31T23:59:59.999Z', 'the last instant of year 9999')
  t.equal(DateTime.serialize({ seconds: '-62167219200', nanos: 0 }), '0000-01-01T00:00:00.000Z', 'the first instant of year 0000')
  t.throws(() => DateTime.serialize(-62167219200001), TypeError, 'year -1 has no RFC 3339 form')
  t.throws(() => DateTime.serialize({ seconds: 'x', nanos: 0 }), TypeError, 'NaN')
})

t.test('Int64 keeps every digit', async (t) => {
  t.equal(Int64.serialize('9223372036854775807'), '9223372036854775807')
  t.equal(Int64.serialize(42), '42')
  t.equal(Int64.serialize(2n ** 60n), '1152921504606846976')
  t.throws(() => Int64.serialize('9223372036854775808'))
  t.throws(() => Int64.serialize(1.5))
  t.equal(Int64.parseValue('-12'), '-12')
  // Canonical decimals come back as they are; any other spelling is printed canonically.
  t.equal(Int64.serialize('999999999999999999'), '999999999999999999', '18 digits')
  t.equal(Int64.serialize('-9223372036854775808'), '-9223372036854775808', '19 digits: checked against the range')
  t.equal(Int64.serialize('0'), '0')
  t.equal(Int64.serialize('-0'), '0')
  t.equal(Int64.serialize('007'), '7')
  t.equal(Int64.serialize(' 12 '), '12')
  t.equal(Int64.serialize('-00012'), '-12')
  t.throws(() => Int64.serialize('-9223372036854775809'))
  t.throws(() => Int64.serialize(''))
  t.throws(() => Int64.serialize('1e3'))
  t.throws(() => Int64.parseValue('12abc'), { code: 'VBGW_INVALID_ARGUMENT' })
})

t.test('createLimiter never runs more than its bound and runs everything', async (t) => {
  const limiter = createLimiter(8)
  let peak = 0
  const releases: Array<() => void> = []
  const tasks = Array.from({ length: 20 }, (_, i) => limiter.run(async () => {
    peak = Math.max(peak, limiter.active)
    await new Promise<void>((resolve) => releases.push(resolve))
    return i
  }))
  // Release tasks one at a time as they start; the queue refills the slots.
  while (releases.length > 0 || limiter.active > 0) {
    await new Promise((resolve) => setImmediate(resolve))
    t.ok(limiter.active <= 8)
    releases.shift()?.()
  }
  t.same(await Promise.all(tasks), Array.from({ length: 20 }, (_, i) => i))
  t.equal(peak, 8)
  await t.rejects(limiter.run(() => Promise.reject(new RangeError('boom'))), RangeError)
  t.equal(limiter.active, 0)
  t.throws(() => createLimiter(0), RangeError)
})

t.test('createLimiter: a task that throws synchronously rejects its run and frees its slot', async (t) => {
  const limiter = createLimiter(1)
  const boom = (): Promise<never> => { throw new RangeError('boom') }
  let release: () => void = () => {}
  const running = limiter.run(() => new Promise<string>((resolve) => { release = () => resolve('first') }))
  // Queued behind the running task: it throws from inside the limiter's release.
  const queued = limiter.run(boom)
  const after = limiter.run(async () => 'after')
  await new Promise((resolve) => setImmediate(resolve))
  release()
  t.equal(await running, 'first')
  await t.rejects(queued, RangeError)
  t.equal(await after, 'after', 'the next task still gets the slot')
  // Started at once, with a free slot.
  await t.rejects(limiter.run(boom), RangeError)
  t.equal(limiter.active, 0, 'no slot leaked')
  t.equal(await limiter.run(async () => 'again'), 'again')
})

t.test('field names point at the caller\'s arguments', async (t) => {
  t.equal(inputName('collection_names[2]'), 'input.collectionNames[2]')
  t.equal(inputName('organization_id'), 'input.organizationId')
  const name = argName({ service_id: 'id' })
  t.equal(name('service_id'), 'id')
  t.equal(name('backup_name'), 'backupName')
})

t.test('introspection-only documents', async (t) => {
  t.ok(isIntrospectionOnly(parse('{ __schema { types { name } } }')))
  t.ok(isIntrospectionOnly(parse('query A { ...F } fragment F on Query { __typename __type(name: "Backup") { name } }')))
  t.notOk(isIntrospectionOnly(parse('{ __typename service(id: "x") { id } }')))
  t.notOk(isIntrospectionOnly(parse('query A { ...F } fragment F on Query { service(id: "x") { id } }')))
  t.notOk(isIntrospectionOnly(parse('query A { __typename } mutation B { deleteBackup(input: {serviceId: "s", backupName: "b"}) { __typename } }')))
})

t.test('Accept negotiation', async (t) => {
  t.ok(wantsGraphqlResponse('application/graphql-response+json'))
  t.ok(wantsGraphqlResponse('application/json;q=0.9, application/graphql-response+json'))
  t.notOk(wantsGraphqlResponse('application/graphql-response+json;q=0, application/json'))
  t.notOk(wantsGraphqlResponse('application/json'))
  t.notOk(wantsGraphqlResponse(undefined))
})

t.test('schema.graphql describes every type, field, argument and enum value', async (t) => {
  const schema = buildSchema(readFileSync(SCHEMA_FILE, 'utf8'))
  const missing: string[] = []
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__') || ['String', 'Int', 'Float', 'Boolean', 'ID'].includes(type.name)) continue
    if (!type.description) missing.push(type.name)
    if (isObjectType(type) || isInputObjectType(type)) {
      for (const field of Object.values(type.getFields())) {
        if (!field.description) missing.push(`${type.name}.${field.name}`)
        for (const arg of 'args' in field ? field.args : []) {
          // Mutation inputs are described by their input type.
          if (!arg.description && arg.name !== 'input') missing.push(`${type.name}.${field.name}(${arg.name})`)
        }
      }
    }
    if (isEnumType(type)) {
      for (const value of type.getValues()) if (!value.description) missing.push(`${type.name}.${value.name}`)
    }
  }
  t.same(missing, [])
  t.same(Object.keys(schema.getMutationType()?.getFields() ?? {}).sort(),
    ['createBackup', 'createBackupPolicy', 'deleteBackup', 'deleteBackupPolicy', 'restoreBackup', 'updateBackupPolicy'])
})

t.test('a response logs a line per distinct error, with its count, and at most MAX_ERROR_LINES of them', async (t) => {
  const lines: Array<{ level: string, obj: Record<string, unknown>, msg: string }> = []
  const log = {
    info: (obj: Record<string, unknown>, msg: string) => { lines.push({ level: 'info', obj, msg }) },
    error: (obj: Record<string, unknown>, msg: string) => { lines.push({ level: 'error', obj, msg }) }
  }
  const ctx = { reply: { log } } as unknown as MercuriusContext
  const fieldError = (err: Error, i: number): GraphQLError => new GraphQLError(err.message, { path: [`a${i}`], originalError: err })
  const same = Array.from({ length: 30 }, (_, i) => fieldError(new errors.InvalidArgument('bad name', 'name'), i))
  const failed = Array.from({ length: 5 }, (_, i) => fieldError(new Error('boom'), 30 + i))
  const { response } = formatErrors({ data: {}, errors: [...same, ...failed] }, ctx)
  t.equal(response.errors?.length, 35, 'every error is answered')
  t.match(lines, [
    { level: 'info', msg: 'graphql error', obj: { code: 'INVALID_ARGUMENT', message: 'bad name', count: 30 } },
    { level: 'error', msg: 'graphql field failed', obj: { grpcCode: 'INTERNAL', count: 5 } }
  ])
  t.equal(lines.length, 2)

  lines.length = 0
  const distinct = Array.from({ length: MAX_ERROR_LINES + 5 }, (_, i) => fieldError(new errors.InvalidArgument(`bad name ${i}`, 'name'), i))
  formatErrors({ data: {}, errors: distinct }, ctx)
  t.equal(lines.length, MAX_ERROR_LINES + 1)
  t.same(lines.at(-1), { level: 'info', obj: { count: 5 }, msg: 'graphql errors not logged: more distinct errors than a response logs' })
  t.notOk('count' in (lines[0]?.obj ?? {}), 'an error met once has no count')
})
