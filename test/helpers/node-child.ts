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
 * `spawn(...nodeCommand(['--import', 'tsx', 'src/server.ts']), { env })`.
 */
export function nodeCommand (args: readonly string[], nodeOptions = process.env.NODE_OPTIONS ?? ''): [string, string[]] {
  if (!usable) return [process.execPath, [...args]]
  const kept = withoutProcessInfo(nodeOptions)
  return [ENV, [...(kept === '' ? ['-u', 'NODE_OPTIONS'] : [`NODE_OPTIONS=${kept}`]), process.execPath, ...args]]
}
