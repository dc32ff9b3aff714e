/**
 * The bench's checks that a reference answers what the gateway answers: a
 * comparison that passed different bytes would make the proxy and naive
 * rows measure something else.
 */
import t from 'tap'
import { checkSameBody } from '../../bench/lib/requests.js'

t.test('equal bodies pass', async (t) => {
  t.doesNotThrow(() => checkSameBody('the proxy', '{"backups":[]}', '{"backups":[]}'))
})

t.test('a different body fails, naming who and where', async (t) => {
  t.throws(() => checkSameBody('the proxy', '{"backups":[{"name":"a"}]}', '{"backups":[{"name":"b"}]}'),
    /^the proxy answers differently from the gateway, from character 21: /)
  t.throws(() => checkSameBody('the proxy', '{"backups":[]}', '{"backups":[]} '), /from character 14/, 'a longer body too')
  t.throws(() => checkSameBody('the proxy', '{"backups":[]}', '{"backups":'), /from character 11/, 'and a shorter one')
})
