/**
 * The README against the code: the Configuration table against
 * CONFIG_SCHEMA and .env.example (re-read on every run, so a variable added
 * to the schema without a row fails here), and the facts a newcomer copies:
 * links, npm scripts, variable names, the simulator's dev token and ids.
 */
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { CONFIG_SCHEMA } from '../../src/config.js'
import { DEMO_ORG_ID, DEMO_SERVICE_IDS, DEV_TOKEN } from '../../src/simulator/seed.js'
import { ROOT_DIR } from '../../src/upstream/contract.js'
import { configTableProblems, parseConfigTable, section, type SchemaProperties } from './config-table.js'

const read = (f: string): string => readFileSync(path.join(ROOT_DIR, f), 'utf8')
const README = read('README.md')
const ENV_EXAMPLE = read('.env.example')
const SCHEMA: SchemaProperties = CONFIG_SCHEMA.properties

t.test('the Configuration table matches CONFIG_SCHEMA and .env.example', async (t) => {
  t.same(configTableProblems(README, SCHEMA, ENV_EXAMPLE), [], 'no problems')
  const { rows } = parseConfigTable(README)
  t.same(rows.map((r) => r.name).sort(), Object.keys(SCHEMA).sort(), 'one row per schema variable')
})

t.test('the table check fails when the table drifts from the schema', async (t) => {
  const { rows } = parseConfigTable(README)
  const first = rows[0]
  if (first === undefined) throw new Error('no rows')
  const rowText = (name: string): string => README.split('\n').find((l) => l.startsWith(`| \`${name}\` |`)) ?? ''

  const schemaPlus = { ...SCHEMA, NEW_SETTING_MS: { type: 'integer', default: 250 } }
  t.match(configTableProblems(README, schemaPlus, `${ENV_EXAMPLE}\nNEW_SETTING_MS=250\n`).join('\n'),
    /no row for NEW_SETTING_MS; add:\n\| `NEW_SETTING_MS` \| `250` \|/, 'a schema variable without a row')

  const extraRow = README.replace(rowText(first.name), `${rowText(first.name)}\n| \`NOT_A_SETTING\` | (unset) | nothing |`)
  t.match(configTableProblems(extraRow, SCHEMA, ENV_EXAMPLE).join('\n'), /names NOT_A_SETTING, which CONFIG_SCHEMA .* lacks/, 'a row the schema lacks')

  const missingRow = README.replace(`${rowText('PORT')}\n`, '')
  t.match(configTableProblems(missingRow, SCHEMA, ENV_EXAMPLE).join('\n'), /no row for PORT/, 'a removed row')

  const wrongDefault = README.replace(rowText('PORT'), rowText('PORT').replace('`4000`', '`8080`'))
  t.match(configTableProblems(wrongDefault, SCHEMA, ENV_EXAMPLE).join('\n'), /PORT default is `8080`, the schema's is `4000`/, 'a wrong default')

  const duplicate = README.replace(rowText('PORT'), `${rowText('PORT')}\n${rowText('PORT')}`)
  t.match(configTableProblems(duplicate, SCHEMA, ENV_EXAMPLE).join('\n'), /PORT has more than one row/, 'a duplicated row')

  t.match(configTableProblems(README, SCHEMA, ENV_EXAMPLE.replace(/^PORT=4000$/m, 'PORT=4001')).join('\n'),
    /\.env\.example:\d+: PORT=4001, the schema's default is 4000/, '.env.example with another default')
  t.match(configTableProblems(README, SCHEMA, ENV_EXAMPLE.replace(/^PORT=4000\n/m, '')).join('\n'),
    /\.env\.example: PORT is missing/, '.env.example without a variable')
  t.match(configTableProblems(README, SCHEMA, `${ENV_EXAMPLE}\nOLD_SETTING=1\n`).join('\n'),
    /OLD_SETTING is not in CONFIG_SCHEMA/, '.env.example with a variable the schema lacks')
  t.match(configTableProblems(README.replace('## Configuration', '## Settings'), SCHEMA, ENV_EXAMPLE).join('\n'),
    /no "## Configuration" section/, 'no section')
})

t.test('relative links in the README point at files', async (t) => {
  const links = [...README.matchAll(/\]\(([^)\s#]+)(?:#[^)]*)?\)/g)].map((m) => m[1] as string).filter((l) => !/^[a-z]+:/i.test(l))
  t.ok(links.length > 0, 'the README links to repository files')
  for (const link of links) t.ok(existsSync(path.join(ROOT_DIR, link)), `${link} exists`)
})

t.test('the npm commands the README shows exist', async (t) => {
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts
  const named = new Set([...README.matchAll(/\bnpm (?:run (?:--silent )?([\w:-]+)|(start|test))\b/g)].map((m) => (m[1] ?? m[2]) as string))
  t.ok(named.has('start'), 'npm start is shown')
  for (const name of named) t.ok(name in scripts, `npm script ${name} exists`)
})

t.test('configuration the README sets is configuration the schema accepts', async (t) => {
  // `NAME=value` for a name in one of the schema's families (VBASE_, CACHE_, SIM_...).
  const families = new Set(Object.keys(SCHEMA).map((k) => k.split('_')[0]))
  const assigned = [...README.matchAll(/\b([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)=/g)].map((m) => m[1] as string)
    .filter((n) => families.has(n.split('_')[0]))
  t.ok(assigned.length > 0, 'the README shows some settings')
  for (const name of new Set(assigned)) t.ok(name in SCHEMA, `${name} is a config variable`)
})

t.test('the README names the simulator\'s real token and demo data', async (t) => {
  t.match(README, DEV_TOKEN, 'the dev token')
  t.match(README, DEMO_ORG_ID, 'the demo organization')
  const services = new Set([...README.matchAll(/\bsvc-demo-[a-z0-9-]+/g)].map((m) => m[0]))
  t.ok(services.size > 0, 'demo services are shown')
  for (const s of services) t.ok((DEMO_SERVICE_IDS as readonly string[]).includes(s), `${s} is seeded`)
  const uuids = new Set([...(section(README, 'GraphQL')?.body ?? '').matchAll(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g)].map((m) => m[0]))
  for (const id of uuids) t.equal(id, DEMO_ORG_ID, 'organization ids in the GraphQL examples are the demo organization')
  const port = String(CONFIG_SCHEMA.properties.PORT.default)
  for (const m of README.matchAll(/http:\/\/127\.0\.0\.1:(\d+)/g)) t.equal(m[1], port, `${m[0]} uses the default PORT`)
})
