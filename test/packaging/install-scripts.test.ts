/**
 * Every dependency with an install script is reviewed in package.json's
 * `allowScripts` (npm 11.16+ warns about the others on each install, and
 * npm 12 skips their scripts), and the field names no package that has none
 * left. Read from package-lock.json, which says which packages have one.
 */
import t from 'tap'
import { readRepoFile } from './repo.js'

interface LockEntry { hasInstallScript?: boolean }
const lock = JSON.parse(readRepoFile('package-lock.json')) as { packages: Record<string, LockEntry> }
const pkg = JSON.parse(readRepoFile('package.json')) as { allowScripts?: Record<string, unknown> }

/** The package name of a lockfile path such as `node_modules/a/node_modules/@s/b`. */
const nameOf = (lockPath: string): string => lockPath.slice(lockPath.lastIndexOf('node_modules/') + 'node_modules/'.length)

const withScripts = [...new Set(Object.entries(lock.packages)
  .filter(([p, entry]) => p !== '' && entry.hasInstallScript === true)
  .map(([p]) => nameOf(p)))].sort()

t.test('each dependency with an install script is allowed or denied by name', async (t) => {
  t.ok(withScripts.length > 0, `the lockfile marks some (${withScripts.join(', ')})`)
  const reviewed = pkg.allowScripts ?? {}
  for (const name of withScripts) t.type(reviewed[name], 'boolean', `${name} is reviewed in allowScripts`)
})

t.test('allowScripts lists no package without an install script', async (t) => {
  t.same(Object.keys(pkg.allowScripts ?? {}).filter((name) => !withScripts.includes(name)), [])
})

t.test('esbuild (under tsx and the bench) may run its script', async (t) => {
  t.equal(pkg.allowScripts?.esbuild, true)
})
