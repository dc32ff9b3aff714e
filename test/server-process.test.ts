/**
 * The real entry point as a user runs it: `src/server.ts` in a child process
 * with the embedded simulator, then SIGTERM.
 */
import t from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
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

t.test('a PRINCIPAL_HASH_SECRET too short stops the boot: exit 1, the variable named, the value never printed', async (t) => {
  const secret = 'short-s3cret'
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: '0', PRINCIPAL_HASH_SECRET: secret }
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => { output += String(chunk) })
  child.stderr.on('data', (chunk: Buffer) => { output += String(chunk) })
  const [code] = await once(child, 'exit')
  t.equal(code, 1, 'the process does not start')
  t.match(output, /invalid configuration: PRINCIPAL_HASH_SECRET must NOT have fewer than 16 characters/)
  t.notMatch(output, secret, 'the value is not printed')
  t.notMatch(output, /Server listening/)
})
