/**
 * `pretest` builds tap's runner only when it is not built with the plugins
 * package.json sets (test/tap-built.mjs answers which).
 */
import t from 'tap'
import { execFile } from 'node:child_process'
import path from 'node:path'
import { promisify } from 'node:util'
import { ROOT_DIR } from '../../src/upstream/contract.js'
import { nodeCommand, withoutTapSettings } from '../helpers/node-child.js'

const CHECK = path.join(ROOT_DIR, 'test', 'tap-built.mjs')

/** The check's exit code, run in `cwd` as npm would: without this run's TAP_* settings, which tap's config would read. */
async function exitCode (cwd: string): Promise<number> {
  try {
    await promisify(execFile)(...nodeCommand([CHECK]), { cwd, env: withoutTapSettings() })
    return 0
  } catch (err) {
    return (err as { code?: number }).code ?? -1
  }
}

t.test('built with these plugins (the runner builds before any file runs): no build', async (t) => {
  t.equal(await exitCode(ROOT_DIR), 0)
})

t.test('another plugin set: build', async (t) => {
  const dir = t.testdir({ 'package.json': JSON.stringify({ name: 'x', tap: { plugin: ['!@tapjs/typescript', '!@tapjs/snapshot'] } }) })
  t.equal(await exitCode(dir), 1)
})

t.test('npm test runs the check before tap build, and the build only when it fails', async (t) => {
  const pkg = (await import(path.join(ROOT_DIR, 'package.json'), { with: { type: 'json' } })) as { default: { scripts: Record<string, string> } }
  t.equal(pkg.default.scripts.pretest, 'node test/tap-built.mjs || tap build')
})
