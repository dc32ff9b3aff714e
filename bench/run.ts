/**
 * `npm run bench`: the gateway against its floors, every scenario, one
 * markdown table on stdout (progress on stderr). A full run also records
 * the table in bench/RESULTS.md. See bench/RESULTS.md for what each
 * scenario does and how processes are pinned.
 *
 *   npm run bench                 full run (~5 min on 2 cores), updates bench/RESULTS.md
 *   npm run bench -- --quick      one short run of each scenario (~1 min)
 *   npm run bench -- --smoke      a few dozen counted requests per scenario
 *
 * Options: --src (gateway from src/ through tsx, no build needed),
 * --no-pin, --no-redis, --redis <url> (default BENCH_REDIS_URL or
 * redis://127.0.0.1:6379/14; the database is flushed), --log-level <level>
 * (default info, the gateway's default), --profile <dir> (--cpu-prof of
 * each gateway; summarize with bench/profile-top.ts), --only <ids>
 * (comma-separated scenario ids, e.g. B-memory,E-memory), --no-write,
 * --json <file>, --env KEY=VALUE (repeatable; gateway environment, e.g.
 * --env METRICS_ENABLED=false, to price a feature), --versus-env KEY=VALUE
 * (repeatable; a second gateway with this environment runs the gateway rows
 * again, each right after its own in every round: an A/B on a drifting
 * host; not recorded in RESULTS.md), --node-flag <flag>
 * (repeatable; a node or V8 flag of the gateways, e.g.
 * --node-flag=--max-semi-space-size=8), --verbose.
 */
import { existsSync } from 'node:fs'
import { readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { runBench } from './lib/bench.js'
import { REPO_ROOT } from './lib/ipc.js'
import { MODES } from './lib/modes.js'
import { renderReport } from './lib/report.js'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    smoke: { type: 'boolean', default: false },
    src: { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    'no-redis': { type: 'boolean', default: false },
    redis: { type: 'string' },
    'log-level': { type: 'string', default: 'info' },
    profile: { type: 'string' },
    'no-write': { type: 'boolean', default: false },
    json: { type: 'string' },
    only: { type: 'string' },
    env: { type: 'string', multiple: true, default: [] },
    'versus-env': { type: 'string', multiple: true, default: [] },
    'node-flag': { type: 'string', multiple: true, default: [] },
    verbose: { type: 'boolean', default: false }
  }
})

/** KEY=VALUE options as an environment; anything else stops the run. */
function envOf (option: string, pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {}
  for (const pair of pairs) {
    const eq = pair.indexOf('=')
    if (eq <= 0) {
      process.stderr.write(`--${option} takes KEY=VALUE, got ${JSON.stringify(pair)}\n`)
      process.exit(2)
    }
    env[pair.slice(0, eq)] = pair.slice(eq + 1)
  }
  return env
}
const env = envOf('env', values.env)
const versusEnv = envOf('versus-env', values['versus-env'])
const versus = Object.keys(versusEnv).length > 0
const mode = values.smoke ? MODES.smoke : values.quick ? MODES.quick : MODES.full
const root = values.src ? 'src' : 'dist'
if (root === 'dist' && !existsSync(path.join(REPO_ROOT, 'dist', 'app.js'))) {
  process.stderr.write('dist/app.js is missing: run `npm run build` first (npm run bench does), or pass --src\n')
  process.exit(2)
}
const redisUrl = values['no-redis'] ? undefined : values.redis ?? process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14'

const result = await runBench({
  mode,
  root,
  pin: !values['no-pin'],
  redisUrl,
  logLevel: values['log-level'],
  ...(values.profile === undefined ? {} : { profileDir: path.resolve(values.profile) }),
  verbose: values.verbose,
  ...(values.only === undefined ? {} : { only: values.only.split(',') }),
  env,
  ...(versus ? { versusEnv } : {}),
  nodeFlags: values['node-flag'],
  log: (line) => process.stderr.write(`${line}\n`)
})
const report = renderReport(result)
process.stdout.write(`\n${report}`)

if (values.json !== undefined) await writeFile(values.json, JSON.stringify(result, null, 2))
// A versus run is an experiment beside the gateway as it is: it is not the latest record.
if (mode.name === 'full' && !values['no-write'] && !versus) {
  const file = path.join(REPO_ROOT, 'bench', 'RESULTS.md')
  await writeFile(file, withLatest(existsSync(file) ? await readFile(file, 'utf8') : '', report))
  process.stderr.write(`recorded in ${path.relative(process.cwd(), file)}\n`)
}

/** Replace the latest-results section of RESULTS.md, keeping the rest of the file. */
function withLatest (doc: string, table: string): string {
  const start = '<!-- latest:start -->'
  const end = '<!-- latest:end -->'
  const section = `${start}\n${table}${end}`
  const i = doc.indexOf(start)
  const j = doc.indexOf(end)
  if (i >= 0 && j > i) return doc.slice(0, i) + section + doc.slice(j + end.length)
  return `${doc}${doc === '' || doc.endsWith('\n') ? '' : '\n'}\n## Latest full run\n\n${section}\n`
}
