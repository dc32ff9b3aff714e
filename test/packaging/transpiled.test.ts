/**
 * `npm test` runs the suite transpiled: test/transpile.mjs writes src/,
 * test/ and bench/ as JavaScript under dist-test/, and tap runs that with
 * test/taprc-transpiled.yml, without a TypeScript loader. These check that
 * the step writes every module (and nothing stale), that what it writes runs
 * under plain node, and that the config keeps package.json's plugins (or
 * every run would rebuild tap's runner) without bringing tsx back.
 */
import t from 'tap'
import { execFile } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { promisify } from 'node:util'
import { ROOT_DIR } from '../../src/upstream/contract.js'
import { nodeCommand, withoutTapSettings } from '../helpers/node-child.js'

const run = promisify(execFile)

/** Repository-relative paths of the .ts files under `dir`. */
function tsFiles (dir: string): string[] {
  return readdirSync(path.join(ROOT_DIR, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
    .map((f) => path.join(dir, f))
}

t.test('npm test transpiles, then runs tap with the transpiled config', async (t) => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT_DIR, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
  t.equal(pkg.scripts.test, 'node test/transpile.mjs && TAP_RCFILE=test/taprc-transpiled.yml tap')
})

t.test('transpile.mjs writes every module with its source map, and nothing stale', async (t) => {
  const out = t.testdir({ test: { 'deleted.test.js': 'stale' } })
  await run(...nodeCommand([path.join(ROOT_DIR, 'test', 'transpile.mjs'), out]), { cwd: ROOT_DIR, env: withoutTapSettings() })
  const sources = [...tsFiles('src'), ...tsFiles('test'), ...tsFiles('bench')]
  t.ok(sources.length > 200, `${sources.length} modules`)
  const missing = sources.filter((f) => {
    const js = path.join(out, f.replace(/\.ts$/, '.js'))
    return !existsSync(js) || !existsSync(`${js}.map`) || !readFileSync(js, 'utf8').trimEnd().endsWith(`//# sourceMappingURL=${path.basename(js)}.map`)
  })
  t.same(missing, [], 'each .ts has its .js, and the .js names its map')
  t.notOk(existsSync(path.join(out, 'test', 'deleted.test.js')), 'a file from an earlier run is gone')

  const map = JSON.parse(readFileSync(path.join(out, 'src', 'weighted-lru.js.map'), 'utf8')) as { sources: string[] }
  t.same(map.sources.map((s) => path.resolve(out, 'src', s)), [path.join(ROOT_DIR, 'src', 'weighted-lru.ts')], 'the map points at the TypeScript source')

  // Plain node, no loader: types and all are gone.
  const script = `import { WeightedLru } from ${JSON.stringify(pathToFileURL(path.join(out, 'src', 'weighted-lru.js')).href)}
    const lru = new WeightedLru(2); lru.set('a', 1, 1); lru.set('b', 2, 1); lru.set('c', 3, 1)
    process.stdout.write(JSON.stringify([lru.get('a'), lru.get('c')]))`
  const { stdout } = await run(...nodeCommand(['--input-type=module', '-e', script]), { cwd: ROOT_DIR, env: withoutTapSettings() })
  t.equal(stdout, '[null,3]')
})

t.test('the transpiled config: package.json\'s plugins, the transpiled tests, no TypeScript loader', async (t) => {
  const script = `const { TapConfig } = await import('@tapjs/config')
    const { signature } = await import('@tapjs/test')
    const c = await TapConfig.load()
    process.stdout.write(JSON.stringify({ built: c.pluginSignature === signature, include: c.get('include'), nodeArg: c.get('node-arg') ?? [], timeout: c.get('timeout') }))`
  const load = async (env: Record<string, string>): Promise<{ built: boolean, include: string[], nodeArg: string[], timeout: number }> =>
    JSON.parse((await run(...nodeCommand(['--input-type=module', '-e', script]), { cwd: ROOT_DIR, env: withoutTapSettings(env) })).stdout) as never
  const [dev, transpiled] = await Promise.all([load({}), load({ TAP_RCFILE: 'test/taprc-transpiled.yml' })])
  t.same(dev.nodeArg, ['--import=tsx'], 'package.json\'s config runs the sources through tsx')
  t.same(dev.include, ['test/**/*.test.ts'])
  t.equal(transpiled.built, true, 'the same plugins as package.json\'s: tap\'s runner, as built, serves both')
  t.same(transpiled.nodeArg, [], 'no tsx')
  t.same(transpiled.include, ['dist-test/test/**/*.test.js'])
  t.equal(transpiled.timeout, dev.timeout, 'the rest is package.json\'s')
})

t.test('every test file is one the transpiled run includes', async (t) => {
  // tap's include glob for dist-test/ is `**/*.test.js`: a test written as .test.mts or .test.tsx would not run.
  const others = readdirSync(path.join(ROOT_DIR, 'test'), { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.test\.[cm]?[jt]sx?$/.test(f) && !f.endsWith('.test.ts'))
  t.same(others, [])
})

