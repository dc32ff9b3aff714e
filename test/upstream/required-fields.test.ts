/**
 * The proto marks what the reference requires (google.api.field_behavior
 * REQUIRED); OpenAPI shows it. The gateway's own checks must agree with it:
 * every REQUIRED field left out of a valid request is refused naming that
 * field, and every other field may be left out.
 */
import t from 'tap'
import { contract, isRequired } from '../../src/upstream/contract.js'
import { validateRequest } from '../../src/upstream/validate.js'
import { FULL_REQUESTS } from '../helpers/requests.js'

const FULL = FULL_REQUESTS

t.test('each method: a REQUIRED field left out is refused by name, any other may be left out', async (t) => {
  let required = 0
  for (const method of contract.methods.values()) {
    const full = FULL[method.name]
    t.same(Object.keys(full).sort(), method.requestType.fieldsArray.map((f) => f.name).sort(), `${method.name}: the valid request gives every field`)
    t.doesNotThrow(() => validateRequest(method.name, full), `${method.name} with every field`)
    for (const field of method.requestType.fieldsArray) {
      const { [field.name]: _left, ...without } = full
      if (isRequired(field)) {
        required++
        t.throws(() => validateRequest(method.name, without), { code: 'VBGW_INVALID_ARGUMENT', field: field.name }, `${method.name}.${field.name} is required`)
      } else {
        t.doesNotThrow(() => validateRequest(method.name, without), `${method.name}.${field.name} is optional`)
      }
    }
  }
  t.equal(required, 24, 'the reference requires 24 fields across the nine methods')
})
