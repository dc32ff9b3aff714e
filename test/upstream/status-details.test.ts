import path from 'node:path'
import t from 'tap'
import { Metadata, status } from '@grpc/grpc-js'
import protobuf from 'protobufjs'
import { describeError, errors, SAFE_UPSTREAM_MESSAGES, UpstreamError } from '../../src/errors.js'
import { toUpstreamError } from '../../src/upstream/client.js'
import { GOOGLE_PROTOS_DIR } from '../../src/upstream/contract.js'
import { decodeStatusDetails, durationJson, MAX_DETAILS, MAX_DETAILS_CHARS, STATUS_DETAILS_KEY, statusDetailsOf } from '../../src/upstream/status-details.js'

// The bytes are built here with protobufjs straight from google-proto-files,
// as a server would send them: not with anything of the module under test.
const root = new protobuf.Root()
root.resolvePath = (_origin, target) => path.join(GOOGLE_PROTOS_DIR, target)
root.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], { keepCase: true })
const StatusType = root.lookupType('google.rpc.Status')

type AnyValue = { type_url: string, value: Uint8Array }
const T = 'type.googleapis.com/'
function any (name: string, fields: object, prefix = T): AnyValue {
  const type = root.lookupType(name)
  return { type_url: prefix + name, value: type.encode(type.fromObject(fields)).finish() }
}
function statusBytes (code: number, details: AnyValue[], message = 'refused'): Buffer {
  return Buffer.from(StatusType.encode(StatusType.fromObject({ code, message, details })).finish())
}

const badRequest = any('google.rpc.BadRequest', { field_violations: [{ field: 'collection_names[0]', description: 'must not be empty' }, { field: 'db_name', description: 'too long' }] })
const retryInfo = any('google.rpc.RetryInfo', { retry_delay: { seconds: 1, nanos: 500_000_000 } })
const errorInfo = any('google.rpc.ErrorInfo', { reason: 'BACKUP_QUOTA', domain: 'vbase.dodil.io', metadata: { max_backups: '100' } })
const debugInfo = any('google.rpc.DebugInfo', { stack_entries: ['at handler (/srv/vbase/handler.go:12)'], detail: 'db at 10.0.0.7 down' })
const unknown: AnyValue = { type_url: `${T}acme.vbase.Internal`, value: Buffer.from([0x0a, 0x02, 0x68, 0x69]) }

t.test('known types become plain details with proto names; DebugInfo and unknown types are dropped', async (t) => {
  const details = decodeStatusDetails(statusBytes(status.INVALID_ARGUMENT, [debugInfo, badRequest, unknown, retryInfo, errorInfo]), status.INVALID_ARGUMENT)
  t.same(details, [
    { '@type': `${T}google.rpc.BadRequest`, field_violations: [{ field: 'collection_names[0]', description: 'must not be empty' }, { field: 'db_name', description: 'too long' }] },
    { '@type': `${T}google.rpc.RetryInfo`, retry_delay: '1.500s' },
    { '@type': `${T}google.rpc.ErrorInfo`, reason: 'BACKUP_QUOTA', domain: 'vbase.dodil.io', metadata: { max_backups: '100' } }
  ])
  t.notMatch(JSON.stringify(details), /handler\.go|10\.0\.0\.7|acme/, 'nothing of the dropped ones')
  const others = decodeStatusDetails(statusBytes(status.FAILED_PRECONDITION, [
    any('google.rpc.QuotaFailure', { violations: [{ subject: 'org', quota_value: 100, future_quota_value: 200 }] }),
    any('google.rpc.PreconditionFailure', { violations: [{ type: 'BACKUP', subject: 'b1', description: 'restore running' }] }),
    any('google.rpc.ResourceInfo', { resource_type: 'backup', resource_name: 'b1' }),
    any('google.rpc.Help', { links: [{ description: 'docs', url: 'https://example.com' }] }),
    any('google.rpc.LocalizedMessage', { locale: 'en-US', message: 'no' }),
    any('google.rpc.RequestInfo', { request_id: 'r-1' })
  ]), status.FAILED_PRECONDITION)
  t.same(others.map((d) => d['@type'].slice(T.length)), ['google.rpc.QuotaFailure', 'google.rpc.PreconditionFailure', 'google.rpc.ResourceInfo', 'google.rpc.Help', 'google.rpc.LocalizedMessage', 'google.rpc.RequestInfo'])
  t.same(others[0], { '@type': `${T}google.rpc.QuotaFailure`, violations: [{ subject: 'org', quota_value: '100', future_quota_value: '200' }] }, 'int64 as strings, as proto3 JSON')
  const elsewhere = decodeStatusDetails(statusBytes(status.INVALID_ARGUMENT, [any('google.rpc.ErrorInfo', { reason: 'R' }, 'example.com/types/')]), status.INVALID_ARGUMENT)
  t.same(elsewhere, [{ '@type': `${T}google.rpc.ErrorInfo`, reason: 'R' }], 'typed by the name after the last slash, shown under type.googleapis.com')
})

t.test('Durations as proto3 JSON', async (t) => {
  const cases: Array<[{ seconds?: unknown, nanos?: unknown }, string]> = [
    [{ seconds: 30 }, '30s'],
    [{ seconds: '30', nanos: 0 }, '30s'],
    [{ seconds: 1, nanos: 500_000_000 }, '1.500s'],
    [{ nanos: 1_000 }, '0.000001s'],
    [{ nanos: 1 }, '0.000000001s'],
    [{ seconds: -1, nanos: -500_000_000 }, '-1.500s'],
    [{}, '0s'],
    [{ seconds: '9007199254740993' }, '9007199254740993s']
  ]
  for (const [value, json] of cases) t.equal(durationJson(value), json, json)
  t.throws(() => durationJson({ nanos: 1e10 }), RangeError)
})

t.test('a trailer that does not decode, or speaks of another code, is ignored', async (t) => {
  t.same(decodeStatusDetails(Buffer.from('not a protobuf at all \xff\xff\xff'), status.INVALID_ARGUMENT), [], 'garbage')
  t.same(decodeStatusDetails(Buffer.from([0x1a, 0x7f, 0x01]), status.INVALID_ARGUMENT), [], 'truncated')
  t.same(decodeStatusDetails(statusBytes(status.NOT_FOUND, [badRequest]), status.INVALID_ARGUMENT), [], 'a Status of another code')
  t.same(decodeStatusDetails(statusBytes(status.OK, [badRequest]), status.INVALID_ARGUMENT), [], 'a Status without a code')
  const broken: AnyValue = { type_url: `${T}google.rpc.BadRequest`, value: Buffer.from([0x0a, 0x50, 0x01]) }
  t.same(decodeStatusDetails(statusBytes(status.INVALID_ARGUMENT, [broken, retryInfo]), status.INVALID_ARGUMENT), [{ '@type': `${T}google.rpc.RetryInfo`, retry_delay: '1.500s' }], 'one detail that does not decode is dropped alone')
})

t.test('every string is scrubbed of credentials, map keys too', async (t) => {
  const details = decodeStatusDetails(statusBytes(status.INVALID_ARGUMENT, [
    any('google.rpc.BadRequest', { field_violations: [{ field: 'service_id', description: 'token Bearer abcdefgh12345678 has no access to it' }] }),
    any('google.rpc.ErrorInfo', { reason: 'R', metadata: { 'token=qwertyuiop123': 'sent with access_token=zxcvbnmasdf987' } })
  ]), status.INVALID_ARGUMENT)
  t.same(details, [
    { '@type': `${T}google.rpc.BadRequest`, field_violations: [{ field: 'service_id', description: 'token Bearer [redacted] has no access to it' }] },
    { '@type': `${T}google.rpc.ErrorInfo`, reason: 'R', metadata: { 'token=[redacted]': 'sent with access_token=[redacted]' } }
  ])
})

t.test(`at most ${MAX_DETAILS} details, ${MAX_DETAILS_CHARS} characters of JSON in all`, async (t) => {
  const many = Array.from({ length: 40 }, (_, i) => any('google.rpc.ErrorInfo', { reason: `R${i}` }))
  const kept = decodeStatusDetails(statusBytes(status.ABORTED, many), status.ABORTED)
  t.equal(kept.length, MAX_DETAILS)
  t.same(kept.map((d) => d.reason), Array.from({ length: MAX_DETAILS }, (_, i) => `R${i}`), 'the first ones, in order')
  const huge = any('google.rpc.BadRequest', { field_violations: [{ field: 'db_name', description: 'x'.repeat(MAX_DETAILS_CHARS) }] })
  const bounded = decodeStatusDetails(statusBytes(status.INVALID_ARGUMENT, [huge, retryInfo]), status.INVALID_ARGUMENT)
  t.same(bounded, [{ '@type': `${T}google.rpc.RetryInfo`, retry_delay: '1.500s' }], 'one over the bound is left out, the next one kept')
  const large = Array.from({ length: 10 }, (_, i) => any('google.rpc.LocalizedMessage', { locale: 'en', message: `${i}`.repeat(900) }))
  const capped = decodeStatusDetails(statusBytes(status.INVALID_ARGUMENT, large), status.INVALID_ARGUMENT)
  t.equal(capped.length, 4, 'four of about 1 KB each (five would go past)')
  t.ok(JSON.stringify(capped).length <= MAX_DETAILS_CHARS + capped.length + 1, 'within the bound')
})

t.test('read from a failed call\'s trailers', async (t) => {
  const trailers = new Metadata()
  trailers.set(STATUS_DETAILS_KEY, statusBytes(status.INVALID_ARGUMENT, [badRequest]))
  t.equal(statusDetailsOf(trailers, status.INVALID_ARGUMENT).length, 1)
  t.same(statusDetailsOf(new Metadata(), status.INVALID_ARGUMENT), [], 'no trailer')
  t.same(statusDetailsOf(undefined, status.INVALID_ARGUMENT), [], 'no metadata')
})

const failure = (code: status, bytes?: Buffer, details = 'refused'): Parameters<typeof toUpstreamError>[0] => {
  const metadata = new Metadata()
  if (bytes !== undefined) metadata.set(STATUS_DETAILS_KEY, bytes)
  return Object.assign(new Error(details), { code, details, metadata })
}

t.test('toUpstreamError keeps VBase\'s details for the caller-side codes alone', async (t) => {
  for (const code of Object.values(status).filter((c): c is status => typeof c === 'number' && c !== status.OK)) {
    const err = toUpstreamError(failure(code, statusBytes(code, [badRequest, debugInfo])), false)
    if (SAFE_UPSTREAM_MESSAGES[code] === undefined) {
      t.same(err.statusDetails?.map((d) => d['@type']), [`${T}google.rpc.BadRequest`], `${status[code]}: kept`)
    } else {
      t.equal(err.statusDetails, undefined, `${status[code]}: a server-side failure, its words replaced, keeps none`)
    }
  }
  const unknownOutcome = toUpstreamError(failure(status.INTERNAL, statusBytes(status.INTERNAL, [badRequest])), true)
  t.equal(unknownOutcome.reason, 'WRITE_OUTCOME_UNKNOWN')
  t.equal(unknownOutcome.statusDetails, undefined, 'nor a write that may have been applied')
  t.equal(toUpstreamError(failure(status.INVALID_ARGUMENT), false).statusDetails, undefined, 'none without a trailer')
  t.equal(toUpstreamError(failure(status.INVALID_ARGUMENT, Buffer.from('garbage')), false).message, 'refused', 'a bad trailer fails nothing')
  t.equal(toUpstreamError(failure(status.INVALID_ARGUMENT), true).write, true, 'a write says so')
  t.equal(toUpstreamError(failure(status.INVALID_ARGUMENT), false).write, undefined)
})

t.test('describeError shows them after the gateway\'s own, with the first violated field', async (t) => {
  const err = toUpstreamError(failure(status.INVALID_ARGUMENT, statusBytes(status.INVALID_ARGUMENT, [retryInfo, badRequest])), false)
  const view = describeError(err)
  t.equal(view.field, 'collection_names[0]')
  t.same(view.details.map((d) => (d as { '@type': string })['@type']), [`${T}google.rpc.RetryInfo`, `${T}google.rpc.BadRequest`])
  const own = Object.assign(new errors.InvalidArgument('db_name is required', 'db_name'), { statusDetails: err.statusDetails })
  const both = describeError(own)
  t.equal(both.field, 'db_name', 'a field the gateway named stays')
  t.same(both.details.map((d) => (d as { '@type': string })['@type']), [`${T}google.rpc.BadRequest`, `${T}google.rpc.RetryInfo`, `${T}google.rpc.BadRequest`], 'the gateway\'s first')
  const serverSide = new UpstreamError(status.INTERNAL, 'the backup service failed', '', undefined, { statusDetails: err.statusDetails })
  t.same(describeError(serverSide).details, [], 'never on a server fault')
  t.equal(describeError(serverSide).field, undefined)
  const foreign = Object.assign(new Error('raw'), { grpcCode: status.INVALID_ARGUMENT, statusDetails: err.statusDetails })
  t.same(describeError(foreign).details, [], 'nor on an error the gateway did not word')
})
