/**
 * npm test's second step: src/, test/ and bench/ transpiled to JavaScript
 * under dist-test/ (same layout, source maps to the .ts files), which tap
 * then runs with no TypeScript loader (test/taprc-transpiled.yml).
 *
 * Every test file is a process that loads the whole gateway, and tsx's hooks
 * (a worker thread every import crosses, a transform cache to read, source
 * maps inline) cost each one more than many of their tests do. Side by side
 * on one host, two runs each, the suite took 231-234 s and 391-395 CPU-s
 * through tsx, 196-198 s and 324-326 CPU-s transpiled. This step takes about
 * a second. It is esbuild, which tsx itself uses, with the same tsconfig, so
 * the code that runs is the code tsx runs for `npx tap test/x.test.ts`.
 *
 * The tree is rebuilt from nothing each time: a test deleted in test/ does
 * not linger in dist-test/.
 */
import { rm } from 'node:fs/promises'
import path from 'node:path'
import process from 'node:process'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
// Another directory may be given (its test does).
const outdir = path.resolve(process.argv[2] ?? path.join(root, 'dist-test'))

await rm(outdir, { recursive: true, force: true })
const result = await build({
  absWorkingDir: root,
  entryPoints: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'],
  outdir,
  outbase: '.',
  format: 'esm',
  platform: 'node',
  target: `node${process.versions.node.split('.')[0]}`,
  sourcemap: true,
  // Node maps stack traces with the mappings alone; tap shows the .ts file itself.
  sourcesContent: false,
  logLevel: 'warning'
})
if (result.errors.length > 0) process.exitCode = 1
