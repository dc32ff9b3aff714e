import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import t from 'tap'
import { ROOT_DIR } from '../../src/upstream/contract.js'
import { DEMO_SERVICE_IDS } from '../../src/simulator/index.js'
import { nodeCommand, runModule } from '../helpers/node-child.js'
import { TestClient } from './client.js'

t.test('the standalone simulator serves, logs the dev token, and exits on SIGTERM', async (t) => {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('SIM_')) env[k] = v
  Object.assign(env, { SIM_PORT: '0', LOG_LEVEL: 'info' })
  const child = spawn(...nodeCommand(runModule('src/simulator/main.ts')), { cwd: ROOT_DIR, env, stdio: ['ignore', 'pipe', 'inherit'] })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  t.teardown(() => { if (child.exitCode === null) child.kill('SIGKILL') })

  const lines: Array<Record<string, unknown>> = []
  const address = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout })
    rl.on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>
      lines.push(entry)
      if (typeof entry.address === 'string') resolve(entry.address)
    })
    void exited.then(() => reject(new Error('the simulator exited before listening')))
  })
  t.match(address, /^0\.0\.0\.0:\d+$/, 'binds every interface')
  const client = new TestClient(address.replace('0.0.0.0', '127.0.0.1'))
  t.teardown(() => client.close())
  t.same(await client.healthCheck(''), { status: 'SERVING' })
  const listed = await client.call('ListBackups', { service_id: DEMO_SERVICE_IDS[0] })
  t.ok(listed.backups.length > 0, 'seeded, and the dev token works')
  t.ok(lines.some((l) => String(l.msg).includes('Bearer vbase-dev-token')), 'the dev token is logged when SIM_TOKENS is unset')

  child.kill('SIGTERM')
  t.equal(await exited, 0, 'exits cleanly on SIGTERM')
})
