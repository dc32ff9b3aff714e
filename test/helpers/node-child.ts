/**
 * How to start `node` in a child process without tap's process tracking.
 *
 * tap runs each test file with NODE_OPTIONS=--import=<@tapjs/processinfo>,
 * and processinfo hooks every spawn in the test process to put that import
 * back into the child's NODE_OPTIONS: removing it from the `env` given to
 * spawn is not enough. In a child it only records process info for coverage,
 * which is off, and costs some 0.3 s of CPU. So the child is started through
 * `env` (POSIX), which sets NODE_OPTIONS back to what it was without tap's
 * import after the hook has run, then runs node in its own place: same pid,
 * signals, stdio and exit code. Where there is no /usr/bin/env, node is
 * started directly and pays for the import, as before.
 */
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const ENV = '/usr/bin/env'
const usable = process.platform !== 'win32' && existsSync(ENV)

/** NODE_OPTIONS with its `--import=...@tapjs/processinfo...` entries removed (quoted or not). */
export function withoutProcessInfo (options: string): string {
  return options
    .split(/\s+(?=(?:[^"]*"[^"]*")*[^"]*$)/)
    .filter((option) => option !== '' && !/^"?--(?:import|loader|experimental-loader|require)[= ]?.*@tapjs[/\\]processinfo/.test(option))
    .join(' ')
}

/**
 * The command and arguments that run `node <args>` with `NODE_OPTIONS` (this process's by
 * default) minus tap's processinfo import, for spawn, execFile and the like:
 * `spawn(...nodeCommand(runModule('src/server.ts')), { env })`.
 */
export function nodeCommand (args: readonly string[], nodeOptions = process.env.NODE_OPTIONS ?? ''): [string, string[]] {
  if (!usable) return [process.execPath, [...args]]
  const kept = withoutProcessInfo(nodeOptions)
  return [ENV, [...(kept === '' ? ['-u', 'NODE_OPTIONS'] : [`NODE_OPTIONS=${kept}`]), process.execPath, ...args]]
}

/**
 * This process's environment without tap's own settings (TAP_*, _TAPJS_*),
 * which a tap config or runner in the child would read, plus `extra`.
 */
export function withoutTapSettings (extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TAP') && !k.startsWith('_TAP'))), ...extra }
}

/**
 * Whether this suite runs transpiled: `npm test` runs the JavaScript that
 * test/transpile.mjs writes for src/, test/ and bench/ under dist-test/,
 * without a TypeScript loader; `npx tap test/x.test.ts` runs the sources
 * through tsx. A child a test starts runs the repository's code the same way.
 */
const TRANSPILED = import.meta.url.endsWith('.js')

/** The top of the tree this file is in: the repository, or dist-test/ when transpiled. */
const TREE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')

/** The node arguments that load TypeScript here: tsx's hook, or none when transpiled. */
export const TS_LOADER: readonly string[] = TRANSPILED ? [] : ['--import', 'tsx']

/** The path of the repository's module `file` (e.g. `src/server.ts`) as this suite loads it. */
export function repoModule (file: string): string {
  return path.join(TREE, TRANSPILED ? file.replace(/\.ts$/, '.js') : file)
}

/** `repoModule(file)` as a file URL, for an `import` in a script given to `node -e`. */
export function repoModuleUrl (file: string): string {
  return pathToFileURL(repoModule(file)).href
}

/** The node arguments that run the repository's module `file` (e.g. `src/server.ts`) as this suite runs its code. */
export function runModule (file: string): string[] {
  return [...TS_LOADER, repoModule(file)]
}
