/**
 * The real entry point as a user runs it: `src/server.ts` in a child process
 * with the embedded simulator, then SIGTERM with a stdout nobody reads; and
 * a boot stopped by an invalid setting.
 */
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { createServer, type AddressInfo } from 'node:net'
import { once } from 'node:events'
import { inspect } from 'node:util'
import { loadConfig } from '../src/config.js'
import { bindDefinesAccessor } from '../src/ops/async-bind.js'
import { LOG_EXIT_FLUSH_MS } from '../src/logger.js'
import { DEV_TOKEN } from '../src/simulator/seed.js'
import { nodeCommand, runModule } from './helpers/node-child.js'

// One process for the whole life of a boot (each costs some 2.5 s of CPU): the embedded
// simulator, health and readiness, then SIGTERM while nobody reads stdout, which must not hold
// the exit; exit 0 there means the close went well as it does with stdout read.
t.test('npm start: embedded simulator, health, readiness; SIGTERM with a stdout nobody reads still exits 0 within the grace period, and stderr says what was lost', async (t) => {
  const graceMs = 1000
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', LOG_LEVEL: 'info', SHUTDOWN_DELAY_MS: '0', SHUTDOWN_GRACE_MS: String(graceMs), RATE_LIMIT_MAX: '0', RATE_LIMIT_IP_MAX: '0' }
  for (const name of ['VBASE_UPSTREAM', 'SIM_TOKENS', 'CACHE_REDIS_URL', 'HOST']) delete env[name]
  const child = spawn(...nodeCommand(runModule('src/server.ts')), { env, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  let out = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listen line in: ${out}`)), 20_000)
    const onData = (chunk: string): void => {
      out += chunk
      // The last line of the boot: where to go next.
      const match = /GraphiQL at (http:\/\/127\.0\.0\.1:\d+)\/graphiql, the REST reference at \1\/docs/.exec(out)
      if (match?.[1] === undefined) return
      clearTimeout(timer)
      child.stdout.off('data', onData)
      child.stdout.pause() // from here on, nobody reads stdout
      resolve(match[1])
    }
    child.stdout.setEncoding('utf8').on('data', onData)
  })
  const lines = out.split('\n')
  t.ok(lines.some((l) => l.includes('embedded VBase simulator')), 'says it uses the embedded simulator')
  t.ok(lines.some((l) => l.includes(DEV_TOKEN)), 'shows the dev token')
  t.ok(lines.some((l) => l.includes(`Server listening at ${url}`)), 'says where it listens')
  // ASYNC_BIND_FIX is on by default: where Node binds with the accessor (Node 20), the entry replaces it.
  t.equal(lines.some((l) => l.includes('AsyncResource.prototype.bind replaced')), bindDefinesAccessor(), 'ASYNC_BIND_FIX applied at start where Node needs it')
  t.equal((await fetch(`${url}/healthz`)).status, 200)
  t.equal((await fetch(`${url}/readyz`)).status, 200)
  for (const page of ['/graphiql', '/docs', '/openapi.json']) t.equal((await fetch(`${url}${page}`)).status, 200, `${page}, as the start line says`)

  // Each 404 writes two lines quoting its 8 KB URL: ~3 MB, far more than the pipe holds.
  const long = 'x'.repeat(8000)
  for (let i = 0; i < 200; i += 20) {
    await Promise.all(Array.from({ length: 20 }, async (_, j) => (await fetch(`${url}/nowhere-${i + j}-${long}`)).arrayBuffer()))
  }

  const sentAt = Date.now()
  child.kill('SIGTERM')
  // The grace period, the exit's bounded write of stdout (LOG_EXIT_FLUSH_MS), and slack for a loaded machine.
  const deadlineMs = graceMs + LOG_EXIT_FLUSH_MS + 3000
  const exited = await Promise.race([
    once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>,
    new Promise<undefined>((resolve) => { setTimeout(() => { resolve(undefined) }, deadlineMs).unref() })
  ])
  t.ok(exited !== undefined, `exited within ${deadlineMs} ms of SIGTERM (took ${Date.now() - sentAt} ms)`)
  if (exited === undefined) return
  t.same(exited, [0, null], 'exit 0 on SIGTERM: the close itself went well')
  if (!child.stderr.readableEnded) await once(child.stderr, 'end')
  const reports = stderr.split('\n').filter((l) => l.includes('stdout is not draining')).map((l) => JSON.parse(l) as Record<string, unknown>)
  t.match(reports.at(-1), { level: 40, unwrittenBytes: Number }, `stderr says log lines were lost at exit: ${stderr.slice(0, 300)}`)
  t.ok((reports.at(-1)?.unwrittenBytes as number) > 0)
})

/** Boot src/server.ts with `env` added and let it end: its exit code and all it printed. */
async function boot (t: Test, env: NodeJS.ProcessEnv): Promise<{ code: number | null, output: string }> {
  const child = spawn(...nodeCommand(runModule('src/server.ts')), { env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += String(chunk) })
  child.stderr.on('data', (chunk: Buffer) => { output += String(chunk) })
  const [code] = await once(child, 'exit') as [number | null]
  return { code, output }
}

/** What loadConfig throws for `env`, which src/server.ts prints as `vbase-gateway: <message>`. */
function configError (env: Record<string, string>): Error {
  try {
    loadConfig(env)
  } catch (err) {
    return err as Error
  }
  throw new Error(`loadConfig accepted ${Object.keys(env).join(', ')}`)
}

t.test('a HOST and PORT that cannot be listened on stop the boot with one line naming them, no stack trace', async (t) => {
  const taken = createServer()
  await new Promise<void>((resolve) => { taken.listen(0, '127.0.0.1', resolve) })
  t.teardown(() => { taken.close() })
  const port = (taken.address() as AddressInfo).port
  const { code, output } = await boot(t, { HOST: '127.0.0.1', PORT: String(port), LOG_LEVEL: 'silent' })
  t.equal(code, 1)
  t.equal(output, `vbase-gateway: cannot listen on HOST=127.0.0.1 PORT=${port}: EADDRINUSE\n`)
})

t.test('an invalid setting stops the boot with one line on stderr, no stack trace', async (t) => {
  const { code, output } = await boot(t, { LOG_LEVEL: 'verbose' })
  t.equal(code, 1)
  t.equal(output, 'vbase-gateway: invalid configuration: LOG_LEVEL must be one of: fatal, error, warn, info, debug, trace, silent\n')
  // The whole output is that line, built from loadConfig's message alone: no value, stack or
  // error object of its own. So for any invalid setting, what the process prints is what the
  // next test finds in the message.
  t.equal(output, `vbase-gateway: ${configError({ LOG_LEVEL: 'verbose' }).message}\n`, "the process prints loadConfig's message and nothing else")
})

// Each of these would stop the boot as above (exit 1, before any listener), printing
// `vbase-gateway: <message>`: checked on that line and on all the error carries, not by two more
// boots of some 2.5 s of CPU each.
t.test('a PRINCIPAL_HASH_SECRET too short or a CACHE_REDIS_URL with an unencoded password stops the boot: the variable named, the value never printed', async (t) => {
  // As `openssl rand -base64` makes them: the `/` ends the URL's authority early.
  const password = 'Zk9x/Qw3+Lm8Tr2V'
  const cases: Array<[Record<string, string>, RegExp, string[]]> = [
    [{ PRINCIPAL_HASH_SECRET: 'short-s3cret' }, /^vbase-gateway: invalid configuration: PRINCIPAL_HASH_SECRET must NOT have fewer than 16 characters\n$/, ['short-s3cret', 's3cret']],
    [{ CACHE_REDIS_URL: `redis://:${password}@127.0.0.1:6391/8` }, /^vbase-gateway: invalid configuration: CACHE_REDIS_URL is not a valid URL; percent-encode special characters[^\n]*\n$/, [password, 'Zk9x', 'Qw3+Lm8Tr2V']]
  ]
  for (const [env, line, secrets] of cases) {
    const err = configError(env)
    t.equal((err as { code?: string }).code, 'VBGW_INVALID_CONFIG', 'the boot stops with one line, as above')
    const printed = `vbase-gateway: ${err.message}\n`
    t.match(printed, line)
    // Even a stack or the whole error object printed would not show it.
    const everything = `${printed}${String(err.stack)}${inspect(err, { depth: null, showHidden: true })}${JSON.stringify(err)}`
    for (const part of secrets) t.notMatch(everything, part, `${part} is not printed`)
  }
})
