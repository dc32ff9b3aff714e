/**
 * Summarize a V8 .cpuprofile (from `npm run bench -- --profile <dir>`):
 * self time by function and by package or source file, heaviest first.
 *
 *   npx tsx bench/profile-top.ts [--skip <seconds>] <file.cpuprofile> [rows] [function[,function...]]
 *
 * `--skip` leaves out the first seconds of the profile (the boot: module
 * loading, compiling), so a steady-state scenario is read on its own.
 * With function names, also show each one's inclusive time (itself and
 * what it calls) and the call stacks (up to 6 frames) its self time comes
 * from.
 */
import { readFileSync } from 'node:fs'

interface Node { id: number, callFrame: { functionName: string, url: string, lineNumber: number }, children?: number[] }
interface Profile { nodes: Node[], samples: number[], timeDeltas: number[] }

const args = process.argv.slice(2)
const skipAt = args.indexOf('--skip')
const skipMs = skipAt < 0 ? 0 : Number(args.splice(skipAt, 2)[1]) * 1000
const [file, rowsArg, focus] = args
if (file === undefined || !Number.isFinite(skipMs)) {
  process.stderr.write('usage: tsx bench/profile-top.ts [--skip <seconds>] <file.cpuprofile> [rows] [function[,function...]]\n')
  process.exit(2)
}
const rows = Number(rowsArg ?? 30)
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const self = new Map<number, number>()
let elapsedUs = 0
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0
  elapsedUs += delta
  if (elapsedUs >= skipMs * 1000) self.set(id, (self.get(id) ?? 0) + delta)
})
const IDLE = new Set(['(idle)', '(program)'])
const total = [...self.values()].reduce((a, b) => a + b, 0)
// Percentages are of busy time: a gateway waiting on its load is idle, and that says nothing about where its CPU goes.
const idle = profile.nodes.filter((n) => IDLE.has(n.callFrame.functionName)).reduce((s, n) => s + (self.get(n.id) ?? 0), 0)
const busy = total - idle

/** A package name, or a path relative to the repository, for a script URL. */
function where (url: string): string {
  if (url === '') return '(native)'
  const nm = url.lastIndexOf('node_modules/')
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/')
    return rest[0]?.startsWith('@') === true ? `${rest[0]}/${rest[1]}` : rest[0] ?? url
  }
  if (url.startsWith('node:')) return url
  const i = url.indexOf('/dist/')
  const j = url.indexOf('/src/')
  return i >= 0 ? url.slice(i + 1) : j >= 0 ? url.slice(j + 1) : url
}

function top (key: (n: Node) => string): Array<[string, number]> {
  const sums = new Map<string, number>()
  for (const [id, t] of self) {
    const node = byId.get(id)
    if (node !== undefined && !IDLE.has(node.callFrame.functionName)) sums.set(key(node), (sums.get(key(node)) ?? 0) + t)
  }
  return [...sums].sort((a, b) => b[1] - a[1]).slice(0, rows)
}

const pct = (t: number): string => `${(t / busy * 100).toFixed(1).padStart(5)}%`
process.stdout.write(`sampled ${(total / 1000).toFixed(0)} ms, busy ${(busy / 1000).toFixed(0)} ms; percentages of busy time\n\nself time by package or file:\n`)
for (const [k, t] of top((n) => where(n.callFrame.url))) process.stdout.write(`${pct(t)}  ${k}\n`)
process.stdout.write('\nself time by function:\n')
for (const [k, t] of top((n) => `${n.callFrame.functionName || '(anonymous)'}  ${where(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`)) {
  process.stdout.write(`${pct(t)}  ${k}\n`)
}

for (const name of focus?.split(',') ?? []) {
  const parent = new Map<number, number>()
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  // Inclusive: self time of every node under a frame of that name, counted once however deep the recursion.
  let inclusive = 0
  for (const [id, t] of self) {
    for (let p: number | undefined = id; p !== undefined; p = parent.get(p)) {
      if (byId.get(p)?.callFrame.functionName === name) { inclusive += t; break }
    }
  }
  process.stdout.write(`\n${name}: ${pct(inclusive)} inclusive\n`)
  const frame = (n: Node): string => `${n.callFrame.functionName || '(anonymous)'} ${where(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`
  const stacks = new Map<string, number>()
  for (const [id, t] of self) {
    const node = byId.get(id)
    if (node?.callFrame.functionName !== name) continue
    const chain: string[] = []
    for (let p = parent.get(id); p !== undefined && chain.length < 6; p = parent.get(p)) chain.push(frame(byId.get(p) as Node))
    const key = chain.join(' < ')
    stacks.set(key, (stacks.get(key) ?? 0) + t)
  }
  process.stdout.write(`${name} self time called from:\n`)
  for (const [k, t] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, rows)) process.stdout.write(`${pct(t)}  < ${k}\n`)
}
