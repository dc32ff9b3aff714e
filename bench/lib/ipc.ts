/**
 * The bench's child processes (simulator, gateways, floors) and the small
 * request/answer protocol over the Node IPC channel that drives them. Each
 * child runs in its own process, optionally pinned to a core with taskset,
 * so its CPU time and RSS are its own.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/**
 * Repository root: the nearest directory above bench/lib holding a
 * package.json (bench/lib is not always two levels down: the test suite
 * runs it transpiled, from dist-test/bench/lib). A transpiled child (see
 * compile.ts) is told by its parent.
 */
export const REPO_ROOT = process.env.BENCH_REPO_ROOT ?? repoRoot(path.dirname(fileURLToPath(import.meta.url)))

function repoRoot (from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`)
  }
}

/** Where compile.ts puts the transpiled children (a tool cache: ignored by git and eslint). */
export const COMPILED_DIR = path.join(REPO_ROOT, 'node_modules', '.cache', 'vbase-gateway-bench')

/** Which build a child loads the gateway from: `dist` (tsc output, plain JS) or `src` (through tsx). */
export type CodeRoot = 'dist' | 'src'

/** A message from the parent: run `cmd` with `args`, answer with the same id. */
interface Request { id: number, cmd: string, args?: unknown }
/** A child's answer. */
interface Answer { id: number, ok: boolean, result?: unknown, error?: string }
/** The first message a child sends once it is ready. */
interface Ready { ready: true, info: unknown }

/** CPU time and memory of a process, as a child reports them. */
export interface Usage {
  /** User + system CPU time, microseconds, since the process started. */
  cpuMicros: number
  rssBytes: number
  heapUsedBytes: number
}

/** A running child and its RPC. */
export interface Child<Info = unknown> {
  readonly name: string
  readonly pid: number
  /** What the child reported when it became ready. */
  readonly info: Info
  call<T = unknown> (cmd: string, args?: unknown): Promise<T>
  /** Ask the child to close, then SIGTERM, then SIGKILL; resolves once it exited. */
  stop (): Promise<void>
}

export interface SpawnOptions {
  name: string
  /** The child's entry in bench/procs/, without extension. */
  entry: string
  /** `compiled`: plain node on the transpiled children (see compile.ts); `tsx`: the TypeScript source through tsx. */
  runtime: 'compiled' | 'tsx'
  args?: string[]
  /** Pin to this CPU with taskset; undefined leaves the process unpinned. */
  cpu?: number
  /** Extra node flags, e.g. --cpu-prof. */
  nodeFlags?: string[]
  /** Let the child's stdout and stderr through (debugging); otherwise stdout is dropped and stderr kept for errors. */
  verbose?: boolean
  /** Longest wait for the ready message. */
  readyTimeoutMs?: number
}

/** The tail of a child's stderr kept to explain a failure. */
const STDERR_TAIL = 4000

/**
 * The children's environment: the bench's, without what would load code into
 * them behind the bench's back (NODE_OPTIONS; a test runner's coverage and
 * process-info hooks), so every child runs the same way under `npm run bench`
 * and under the smoke test.
 */
function childEnv (): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (k === 'NODE_OPTIONS' || k === 'NODE_V8_COVERAGE' || k.startsWith('_TAPJS_') || k.startsWith('TAP_')) continue
    env[k] = v
  }
  return { ...env, BENCH_REPO_ROOT: REPO_ROOT }
}

/** Spawn a bench child and wait until it is ready. */
export async function spawnChild<Info = unknown> (opts: SpawnOptions): Promise<Child<Info>> {
  const script = opts.runtime === 'tsx'
    ? ['--import', 'tsx', path.join(REPO_ROOT, 'bench', 'procs', `${opts.entry}.ts`)]
    : [path.join(COMPILED_DIR, 'procs', `${opts.entry}.js`)]
  const nodeArgs = [...(opts.nodeFlags ?? []), ...script, ...(opts.args ?? [])]
  const pinned = opts.cpu === undefined ? [process.execPath, ...nodeArgs] : ['taskset', '-c', String(opts.cpu), process.execPath, ...nodeArgs]
  // A test runner may put its hooks back into every process spawned under it, whatever environment it is given
  // (tap's @tapjs/processinfo sets NODE_OPTIONS at spawn, and its own variables, inert without it): `env -u` drops
  // NODE_OPTIONS at exec, where nothing adds it back.
  const [command, argv] = process.platform === 'win32' ? [pinned[0] as string, pinned.slice(1)] : ['env', ['-u', 'NODE_OPTIONS', ...pinned]]
  const proc: ChildProcess = spawn(command, argv, {
    cwd: REPO_ROOT,
    stdio: ['ignore', opts.verbose === true ? 'inherit' : 'ignore', opts.verbose === true ? 'inherit' : 'pipe', 'ipc'],
    env: childEnv()
  })
  let stderr = ''
  proc.stderr?.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL) })

  const pending = new Map<number, { resolve: (v: unknown) => void, reject: (e: Error) => void }>()
  let nextId = 1
  let exited = false
  const exit = new Promise<void>((resolve) => proc.once('exit', () => { exited = true; resolve() }))
  const failure = (what: string): Error => new Error(`bench child ${opts.name} ${what}${stderr === '' ? '' : `\n--- its stderr ---\n${stderr}`}`)

  const info = await new Promise<Info>((resolve, reject) => {
    const timer = setTimeout(() => reject(failure('did not become ready')), opts.readyTimeoutMs ?? 60_000)
    proc.on('message', (msg: Ready | Answer) => {
      if ('ready' in msg) {
        clearTimeout(timer)
        resolve(msg.info as Info)
        return
      }
      const waiter = pending.get(msg.id)
      if (waiter === undefined) return
      pending.delete(msg.id)
      if (msg.ok) waiter.resolve(msg.result)
      else waiter.reject(failure(`failed: ${msg.error ?? 'unknown error'}`))
    })
    proc.once('error', (err) => { clearTimeout(timer); reject(failure(`could not start: ${err.message}`)) })
    void exit.then(() => {
      clearTimeout(timer)
      const err = failure(`exited (code ${proc.exitCode ?? 'null'}, signal ${proc.signalCode ?? 'none'})`)
      reject(err)
      for (const waiter of pending.values()) waiter.reject(err)
      pending.clear()
    })
  })

  return {
    name: opts.name,
    pid: proc.pid as number,
    info,
    call<T> (cmd: string, args?: unknown): Promise<T> {
      if (exited) return Promise.reject(failure('has exited'))
      const id = nextId++
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject })
        proc.send({ id, cmd, args } satisfies Request)
      })
    },
    async stop () {
      if (exited) return
      proc.send({ id: 0, cmd: 'close' } satisfies Request, () => {})
      const term = setTimeout(() => proc.kill('SIGTERM'), 5_000)
      const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000)
      await exit
      clearTimeout(term)
      clearTimeout(kill)
    }
  }
}

/** A child's command handlers; `close` is handled for every child. */
export type Handlers = Record<string, (args: never) => unknown>

/**
 * Child side: answer the parent's commands and say ready. `close` runs
 * `onClose`, then disconnects the channel so the process can exit.
 */
export function serveParent (info: unknown, handlers: Handlers, onClose: () => Promise<void>): void {
  const send = process.send?.bind(process)
  if (send === undefined) throw new Error('a bench child must be started by bench/lib/ipc.ts (no IPC channel)')
  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= onClose().catch(() => {}).finally(() => { setTimeout(() => process.exit(0), 2_000).unref() })
    return closing
  }
  process.on('message', (msg: Request) => {
    if (msg.cmd === 'close') {
      void close().then(() => { if (process.connected) process.disconnect() })
      return
    }
    const handler = handlers[msg.cmd]
    if (handler === undefined) {
      send({ id: msg.id, ok: false, error: `unknown command ${msg.cmd}` } satisfies Answer)
      return
    }
    Promise.resolve()
      .then(() => handler(msg.args as never))
      .then((result) => send({ id: msg.id, ok: true, result } satisfies Answer),
        (err: unknown) => send({ id: msg.id, ok: false, error: err instanceof Error ? err.stack ?? err.message : String(err) } satisfies Answer))
  })
  // The parent went away without saying close: do not linger.
  process.on('disconnect', () => { void close().then(() => process.exit(0)) })
  send({ ready: true, info } satisfies Ready)
}

/** This process's usage, for the `usage` command every child answers. */
export function ownUsage (): Usage {
  const cpu = process.cpuUsage()
  const mem = process.memoryUsage()
  return { cpuMicros: cpu.user + cpu.system, rssBytes: mem.rss, heapUsedBytes: mem.heapUsed }
}

/** Import a module of the gateway from the chosen code root, e.g. `app.js`. */
export async function importGateway<T> (root: CodeRoot, modulePath: string): Promise<T> {
  // tsx maps the .js specifier to the .ts file under src/.
  return await import(pathToFileURL(path.join(REPO_ROOT, root, modulePath)).href) as T
}
