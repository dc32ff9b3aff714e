import t from 'tap'
import { status } from '@grpc/grpc-js'
import { STATUS_TABLE, describeError, errors, mapGrpcStatus, UpstreamError } from '../src/errors.js'

// DESIGN.md's table, row by row, for all 17 codes.
const rows: Array<[keyof typeof status, number, string]> = [
  ['OK', 200, 'OK'],
  ['CANCELLED', 499, 'CANCELLED'],
  ['UNKNOWN', 500, 'INTERNAL_SERVER_ERROR'],
  ['INVALID_ARGUMENT', 400, 'BAD_USER_INPUT'],
  ['DEADLINE_EXCEEDED', 504, 'DEADLINE_EXCEEDED'],
  ['NOT_FOUND', 404, 'NOT_FOUND'],
  ['ALREADY_EXISTS', 409, 'ALREADY_EXISTS'],
  ['PERMISSION_DENIED', 403, 'FORBIDDEN'],
  ['RESOURCE_EXHAUSTED', 429, 'RESOURCE_EXHAUSTED'],
  ['FAILED_PRECONDITION', 400, 'FAILED_PRECONDITION'],
  ['ABORTED', 409, 'ABORTED'],
  ['OUT_OF_RANGE', 400, 'BAD_USER_INPUT'],
  ['UNIMPLEMENTED', 501, 'UNSUPPORTED_BY_UPSTREAM'],
  ['INTERNAL', 500, 'INTERNAL_SERVER_ERROR'],
  ['UNAVAILABLE', 503, 'UPSTREAM_UNAVAILABLE'],
  ['DATA_LOSS', 500, 'INTERNAL_SERVER_ERROR'],
  ['UNAUTHENTICATED', 401, 'UNAUTHENTICATED']
]

t.test('the table covers every grpc-js status', async (t) => {
  const codes = Object.values(status).filter((v) => typeof v === 'number')
  t.equal(codes.length, 17)
  t.equal(Object.keys(STATUS_TABLE).length, 17)
  t.equal(rows.length, 17)
})

for (const [name, http, graphql] of rows) {
  t.test(`${name} -> ${http} / ${graphql}`, async (t) => {
    t.same(mapGrpcStatus(status[name]), { http, graphql })
    if (name === 'OK') return
    const view = describeError(new UpstreamError(status[name], 'upstream said so'))
    t.equal(view.httpStatus, http)
    t.equal(view.graphqlCode, graphql)
    t.equal(view.grpcStatus, name)
    t.equal(view.message, 'upstream said so')
  })
}

t.test('unknown codes fall back to 500', async (t) => {
  t.same(mapGrpcStatus(99), { http: 500, graphql: 'INTERNAL_SERVER_ERROR' })
  const view = describeError(Object.assign(new Error('raw 10.0.0.1:50051'), { grpcCode: 99 }))
  t.equal(view.httpStatus, 500)
  t.equal(view.message, 'internal error', 'an unexplained failure never shows its text')
})

t.test('unexpected errors show a safe message', async (t) => {
  const view = describeError(new TypeError('cannot read x of undefined at /srv/app.js:1'))
  t.equal(view.httpStatus, 500)
  t.equal(view.message, 'internal error')
  t.ok(view.serverFault)
})

t.test('the gateway\'s own errors keep their words and field', async (t) => {
  const view = describeError(new errors.InvalidArgument('organization_id must be a UUID', 'organization_id'))
  t.equal(view.httpStatus, 400)
  t.equal(view.graphqlCode, 'BAD_USER_INPUT')
  t.equal(view.field, 'organization_id')
  t.match(view.details, [{ field_violations: [{ field: 'organization_id' }] }])
  t.equal(describeError(new errors.Unauthenticated()).httpStatus, 401)
})

t.test('fastify client errors keep their status', async (t) => {
  const err = Object.assign(new Error('Body is not valid JSON'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_JSON_BODY' })
  const view = describeError(err)
  t.equal(view.httpStatus, 400)
  t.equal(view.message, 'Body is not valid JSON')
  // HTTP-level refusals keep their precise status, with the table's code for the body.
  const tooLarge = describeError(Object.assign(new Error('too large'), { statusCode: 413 }))
  t.equal(tooLarge.httpStatus, 413)
  t.equal(tooLarge.grpcStatus, 'INVALID_ARGUMENT')
  t.equal(describeError(Object.assign(new Error('unsupported media type'), { statusCode: 415 })).httpStatus, 415)
  t.equal(describeError(Object.assign(new Error('slow down'), { statusCode: 429 })).grpcStatus, 'RESOURCE_EXHAUSTED')
})
