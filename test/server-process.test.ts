/**
 * The real entry point as a user runs it: `src/server.ts` in a child process
 * with the embedded simulator, then SIGTERM, also with a stdout nobody reads.
 */
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { LOG_EXIT_FLUSH_MS } from '../src/logger.js'
import { DEV_TOKEN } from '../src/simulator/seed.js'

t.test('npm start: embedded simulator, health, readiness, SIGTERM exits 0', async (t) => {
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', LOG_LEVEL: 'info' }
  for (const name of ['VBASE_UPSTREAM', 'SIM_TOKENS', 'CACHE_REDIS_URL', 'HOST']) delete env[name]
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  const lines: string[] = []
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listen line in: ${lines.join('\n')}`)), 20_000)
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line)
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(line)
      if (match?.[1] !== undefined) { clearTimeout(timer); resolve(match[1]) }
    })
  })
  t.ok(lines.some((l) => l.includes('embedded VBase simulator')), 'says it uses the embedded simulator')
  t.ok(lines.some((l) => l.includes(DEV_TOKEN)), 'shows the dev token')
  t.equal((await fetch(`${url}/healthz`)).status, 200)
  t.equal((await fetch(`${url}/readyz`)).status, 200)
  child.kill('SIGTERM')
  const [code] = await once(child, 'exit')
  t.equal(code, 0, 'exits 0 on SIGTERM')
})

/** Boot src/server.ts with `env` added and let it end: its exit code and all it printed. */
async function boot (t: Test, env: NodeJS.ProcessEnv): Promise<{ code: number | null, output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env: { ...process.env, PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += String(chunk) })
  child.stderr.on('data', (chunk: Buffer) => { output += String(chunk) })
  const [code] = await once(child, 'exit') as [number | null]
  return { code, output }
}

t.test('an invalid setting stops the boot with one line on stderr, no stack trace', async (t) => {
  const { code, output } = await boot(t, { LOG_LEVEL: 'verbose' })
  t.equal(code, 1)
  t.equal(output, 'vbase-gateway: invalid configuration: LOG_LEVEL must be one of: fatal, error, warn, info, debug, trace, silent\n')
})

t.test('a PRINCIPAL_HASH_SECRET too short stops the boot: exit 1, the variable named, the value never printed', async (t) => {
  const secret = 'short-s3cret'
  const { code, output } = await boot(t, { PRINCIPAL_HASH_SECRET: secret })
  t.equal(code, 1, 'the process does not start')
  t.match(output, /invalid configuration: PRINCIPAL_HASH_SECRET must NOT have fewer than 16 characters/)
  t.notMatch(output, secret, 'the value is not printed')
  t.notMatch(output, /Server listening/)
})

t.test('a CACHE_REDIS_URL with an unencoded password stops the boot: exit 1, the variable named, the password never printed', async (t) => {
  // As `openssl rand -base64` makes them: the `/` ends the URL's authority early.
  const password = 'Zk9x/Qw3+Lm8Tr2V'
  const { code, output } = await boot(t, { CACHE_REDIS_URL: `redis://:${password}@127.0.0.1:6391/8` })
  t.equal(code, 1, 'the process does not start')
  t.match(output, /invalid configuration: CACHE_REDIS_URL is not a valid URL; percent-encode special characters/)
  for (const part of [password, 'Zk9x', 'Qw3+Lm8Tr2V']) t.notMatch(output, part, `${part} is not printed`)
  t.notMatch(output, /Server listening/)
})

t.test('SIGTERM with a stdout nobody reads: the process still exits within the grace period, and stderr says what was lost', async (t) => {
  const graceMs = 1000
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', LOG_LEVEL: 'info', SHUTDOWN_DELAY_MS: '0', SHUTDOWN_GRACE_MS: String(graceMs), RATE_LIMIT_MAX: '0', RATE_LIMIT_IP_MAX: '0' }
  for (const name of ['VBASE_UPSTREAM', 'SIM_TOKENS', 'CACHE_REDIS_URL', 'HOST']) delete env[name]
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL') })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => { stderr += chunk })
  let out = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no listen line in: ${out}`)), 20_000)
    const onData = (chunk: string): void => {
      out += chunk
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)
      if (match?.[1] === undefined) return
      clearTimeout(timer)
      child.stdout.off('data', onData)
      child.stdout.pause() // from here on, nobody reads stdout
      resolve(match[1])
    }
    child.stdout.setEncoding('utf8').on('data', onData)
  })

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
  t.same(exited, [0, null], 'exit 0: the close itself went well')
  if (!child.stderr.readableEnded) await once(child.stderr, 'end')
  const reports = stderr.split('\n').filter((l) => l.includes('stdout is not draining')).map((l) => JSON.parse(l) as Record<string, unknown>)
  t.match(reports.at(-1), { level: 40, unwrittenBytes: Number }, `stderr says log lines were lost at exit: ${stderr.slice(0, 300)}`)
  t.ok((reports.at(-1)?.unwrittenBytes as number) > 0)
})
