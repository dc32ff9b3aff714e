import t from 'tap'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import { DEMO_ORG_ID, DEMO_SERVICE_IDS, DEV_TOKEN } from '../../src/simulator/index.js'
import { buildTestApp } from '../helpers/app.js'

// Replays the reference's curl command lines against the app with `inject`:
// shell quoting ('...', "..." with $VAR, line continuations) and the curl
// flags the reference uses (-X, -H, -d, -sS). Only the host changes: the
// URL's path and query are kept.

/** Split a POSIX shell command line into words, expanding `$VAR` from `env`. */
function shellWords (line: string, env: Record<string, string>): string[] {
  const words: string[] = []
  let word: string | undefined
  const expand = (name: string): string => {
    const value = env[name]
    if (value === undefined) throw new TypeError(`$${name} is not set`)
    return value
  }
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string
    if (c === '\\' && line[i + 1] === '\n') { i++; continue }
    if (/\s/.test(c)) {
      if (word !== undefined) words.push(word)
      word = undefined
      continue
    }
    word ??= ''
    if (c === "'") {
      const end = line.indexOf("'", i + 1)
      word += line.slice(i + 1, end)
      i = end
    } else if (c === '"') {
      for (i++; line[i] !== '"'; i++) {
        const d = line[i] as string
        if (d === '\\' && /["\\$]/.test(line[i + 1] ?? '')) word += line[++i]
        else if (d === '$') {
          const name = /^\$\{?(\w+)\}?/.exec(line.slice(i)) as RegExpExecArray
          word += expand(name[1] as string)
          i += name[0].length - 1
        } else word += d
      }
    } else if (c === '$') {
      const name = /^\$\{?(\w+)\}?/.exec(line.slice(i)) as RegExpExecArray
      word += expand(name[1] as string)
      i += name[0].length - 1
    } else {
      word += c
    }
  }
  if (word !== undefined) words.push(word)
  return words
}

/** The request a curl command makes. */
interface CurlRequest {
  method: string
  /** Path and query of the URL; the host is dropped. */
  url: string
  headers: Record<string, string>
  body?: string
}

/** Read a curl command line into the request it would send. */
function parseCurl (command: string, env: Record<string, string>): CurlRequest {
  const words = shellWords(command, env)
  if (words[0] !== 'curl') throw new TypeError('not a curl command')
  const req: CurlRequest = { method: '', url: '', headers: {} }
  for (let i = 1; i < words.length; i++) {
    const w = words[i] as string
    if (w === '-X') req.method = words[++i] as string
    else if (w === '-H') {
      const h = words[++i] as string
      const colon = h.indexOf(':')
      req.headers[h.slice(0, colon).trim().toLowerCase()] = h.slice(colon + 1).trim()
    } else if (w === '-d') req.body = words[++i] as string
    else if (/^-[sS]+$/.test(w)) continue
    else if (w.startsWith('-')) throw new TypeError(`unsupported curl flag ${w}`)
    else {
      const u = new URL(w)
      req.url = u.pathname + u.search
    }
  }
  // curl's defaults: POST with -d, GET otherwise; -d without a type is form data.
  if (req.method === '') req.method = req.body === undefined ? 'GET' : 'POST'
  if (req.body !== undefined) req.headers['content-type'] ??= 'application/x-www-form-urlencoded'
  return req
}

/** Send a curl command line to the app. */
function replay (app: FastifyInstance, command: string, env: Record<string, string>): Promise<LightMyRequestResponse> {
  const req = parseCurl(command, env)
  return app.inject({
    method: req.method as 'GET',
    url: req.url,
    headers: req.headers,
    ...(req.body === undefined ? {} : { payload: req.body })
  })
}

// The reference's HTTP examples, verbatim (../shared/api/backup-and-policy-apis.txt).
const CREATE_BACKUP = String.raw`curl -sS -X POST \
-H "Authorization: Bearer $TOKEN" \
-H "Content-Type: application/json" \
"https://api.dev.dodil.io:443/v1/vbase/<service_id>/backup" \
-d '{
"service_id":"<service_id>",
"organization_id":"'"$ORG_ID"'",
"db_name":"<db_name>",
"collection_names":["docs"],
"backup_name":"docs-backup-001"
}'`

const LIST_BACKUPS = String.raw`curl -sS \
-H "Authorization: Bearer $TOKEN" \
"https://api.dev.dodil.io:443/v1/vbase/<service_id>/backup"`

const RESTORE_BACKUP = String.raw`curl -sS -X POST \
-H "Authorization: Bearer $TOKEN" \
-H "Content-Type: application/json" \
"https://api.dev.dodil.io:443/v1/vbase/<service_id>/backup/restore" \
-d '{
"service_id":"<service_id>",
"organization_id":"'"$ORG_ID"'",
"backup_name":"docs-backup-001",
"db_name":"<db_name>",
"collection_names":["docs"]
}'`

const CREATE_POLICY = String.raw`curl -sS -X POST \
-H "Authorization: Bearer $TOKEN" \
-H "Content-Type: application/json" \
"https://api.dev.dodil.io:443/v1/vbase/<service_id>/backup/policy" \
-d '{
"service_id":"<service_id>",
"organization_id":"'"$ORG_ID"'",
"schedule_cron":"0 0 * * *",
"retention_count":7
}'`

const SERVICE = DEMO_SERVICE_IDS[2]
const env = { TOKEN: DEV_TOKEN, ORG_ID: DEMO_ORG_ID }
/** What a reader fills in for the reference's placeholders. */
const fill = (cmd: string): string => cmd.replaceAll('<service_id>', SERVICE).replaceAll('<db_name>', 'archive')

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3,9})?Z$/
const BACKUP_KEYS = ['collection_names', 'created_at', 'db_name', 'error_message', 'name', 'organization_id', 'service_id', 'size_bytes', 'status']

t.test('the curl reader reads the reference the way a shell and curl would', async (t) => {
  const req = parseCurl(fill(CREATE_BACKUP), env)
  t.same(req.method, 'POST')
  t.same(req.url, `/v1/vbase/${SERVICE}/backup`)
  t.same(req.headers, { authorization: `Bearer ${DEV_TOKEN}`, 'content-type': 'application/json' })
  t.same(JSON.parse(req.body as string).organization_id, DEMO_ORG_ID)
  t.same(parseCurl(fill(LIST_BACKUPS), env).method, 'GET')
})

t.test('the reference\'s curl examples work against the gateway as written', async (t) => {
  const { app, sim } = await buildTestApp(t, { simulator: { jobMs: 0 } })

  const created = await replay(app, fill(CREATE_BACKUP), env)
  t.equal(created.statusCode, 200, created.body)
  t.match(created.headers['content-type'], /^application\/json/)
  const backup = created.json()
  t.match(backup, { name: 'docs-backup-001', service_id: SERVICE, organization_id: DEMO_ORG_ID, db_name: 'archive', collection_names: ['docs'] })
  t.same(Object.keys(backup).filter((k) => k !== 'completed_at').sort(), BACKUP_KEYS, 'snake_case Backup, unset optionals omitted')
  t.match(backup.status, /^(PENDING|RUNNING|COMPLETED)$/)
  t.match(backup.created_at, RFC3339)
  t.match(backup.size_bytes, /^\d+$/, 'int64 as a string')
  t.match(sim.calls.at(-1), { method: 'CreateBackup', metadata: { authorization: `Bearer ${DEV_TOKEN}` } })

  const listed = await replay(app, fill(LIST_BACKUPS), env)
  t.equal(listed.statusCode, 200, listed.body)
  const { backups } = listed.json() as { backups: Array<{ name: string, created_at: string }> }
  t.ok(backups.some((b) => b.name === 'docs-backup-001'), 'the new backup is listed')
  for (const b of backups) t.match(b.created_at, RFC3339)
  t.match(listed.headers, { 'cache-control': /^private, max-age=\d+$/, etag: /^"/ })

  const restored = await replay(app, fill(RESTORE_BACKUP), env)
  t.equal(restored.statusCode, 200, restored.body)
  const job = restored.json()
  t.match(job, { id: /^[0-9a-f-]{36}$/, service_id: SERVICE, organization_id: DEMO_ORG_ID, backup_name: 'docs-backup-001', db_name: 'archive', collection_names: ['docs'] })
  t.match(job.status, /^(PENDING|RUNNING|COMPLETED)$/)
  t.match(job.created_at, RFC3339)

  const policy = await replay(app, fill(CREATE_POLICY), env)
  t.equal(policy.statusCode, 200, policy.body)
  t.match(policy.json(), {
    id: /^[0-9a-f-]{36}$/, service_id: SERVICE, organization_id: DEMO_ORG_ID, schedule_cron: '0 0 * * *', retention_count: 7, is_active: true, created_at: RFC3339, updated_at: RFC3339
  })
  t.same(sim.calls.map((c) => c.method), ['CreateBackup', 'ListBackups', 'RestoreBackup', 'CreateBackupPolicy'])
})

t.test('the same examples without the token are 401 before any upstream call', async (t) => {
  const { app, sim } = await buildTestApp(t)
  for (const cmd of [CREATE_BACKUP, LIST_BACKUPS, RESTORE_BACKUP, CREATE_POLICY]) {
    const noAuth = fill(cmd).replace(/-H "Authorization: Bearer \$TOKEN" \\\n/, '')
    const res = await replay(app, noAuth, env)
    t.equal(res.statusCode, 401)
    t.equal(res.headers['www-authenticate'], 'Bearer')
    t.match(res.json(), { code: 16, message: /Authorization: Bearer/, details: [] })
  }
  t.equal(sim.callCount(), 0)
})
