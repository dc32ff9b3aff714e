/**
 * The children run under plain node when the gateway comes from dist/, so
 * no TypeScript loader (tsx starts a worker thread with its own heap) sits
 * in the measured process's CPU time or RSS. Their few bench files are
 * transpiled here, once per run, into node_modules/.cache/ (ignored by git
 * and eslint, like any tool cache), where Node resolves the repository's
 * packages as usual.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import path from 'node:path'
import ts from 'typescript'
import { COMPILED_DIR, REPO_ROOT } from './ipc.js'

/** The bench files a child process loads (types-only imports are erased). */
const CHILD_FILES = [
  'procs/simulator.ts', 'procs/gateway.ts', 'procs/bare.ts', 'procs/direct.ts', 'procs/proxy.ts',
  'lib/ipc.ts', 'lib/data.ts', 'lib/stats.ts', 'lib/naive-graphql.ts'
]

/** Transpile the children's files to ES modules in COMPILED_DIR. */
export async function compileChildren (): Promise<void> {
  for (const file of CHILD_FILES) {
    const source = await readFile(path.join(REPO_ROOT, 'bench', file), 'utf8')
    const { outputText } = ts.transpileModule(source, {
      fileName: file,
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true, sourceMap: false }
    })
    const out = path.join(COMPILED_DIR, file.replace(/\.ts$/, '.js'))
    await mkdir(path.dirname(out), { recursive: true })
    await writeFile(out, outputText)
  }
}
