/**
 * Facts about the repository that the packaging files must agree with, read
 * from the code and its config files rather than restated: the config
 * schema, the build's rootDir/outDir, the files read at run time, the
 * .dockerignore rules.
 */
import { existsSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { CONFIG_SCHEMA, loadConfig } from '../../src/config.js'
import { SCHEMA_FILE } from '../../src/graphql/plugin.js'
import { PROTO_DIR, ROOT_DIR } from '../../src/upstream/contract.js'

export { ROOT_DIR }

/** Read a repository file as text. */
export function readRepoFile (relative: string): string {
  return readFileSync(path.join(ROOT_DIR, relative), 'utf8')
}

/** True when a repository-relative path exists. */
export function repoHas (relative: string): boolean {
  return existsSync(path.join(ROOT_DIR, relative))
}

/** True when a repository-relative path is a directory. */
export function isDirectory (relative: string): boolean {
  return repoHas(relative) && statSync(path.join(ROOT_DIR, relative)).isDirectory()
}

/** Names of every environment variable the config schema accepts. */
export function configVariables (): string[] {
  return Object.keys(CONFIG_SCHEMA.properties)
}

/** The schema's default of a variable, or undefined when it has none. */
export function configDefault (name: string): string | number | boolean | undefined {
  const prop = (CONFIG_SCHEMA.properties as Record<string, { default?: string | number | boolean }>)[name]
  return prop?.default
}

/**
 * Problems of an environment as the config would see it: unknown names, and
 * what loadConfig rejects (its message names the variable).
 */
export function configProblems (env: Record<string, string>, where: string): string[] {
  const known = new Set(configVariables())
  const problems = Object.keys(env).filter((k) => !known.has(k))
    .map((k) => `${where}: ${k} is not a variable the config schema (src/config.ts) accepts`)
  try {
    loadConfig(Object.fromEntries(Object.entries(env).filter(([k]) => known.has(k))))
  } catch (err) {
    problems.push(`${where}: loadConfig rejects the environment: ${(err as Error).message}`)
  }
  return problems
}

interface TsconfigBuild { extends?: string, include?: string[], compilerOptions?: { rootDir?: string, outDir?: string } }

/** What `npm run build` reads and writes, from tsconfig.build.json. */
export function buildLayout (): { rootDir: string, outDir: string, inputs: string[] } {
  const file = 'tsconfig.build.json'
  const tsconfig = JSON.parse(readRepoFile(file)) as TsconfigBuild
  const rootDir = tsconfig.compilerOptions?.rootDir ?? '.'
  const outDir = tsconfig.compilerOptions?.outDir ?? '.'
  const inputs = [file, ...(tsconfig.extends !== undefined ? [path.normalize(tsconfig.extends)] : []), ...(tsconfig.include ?? [])]
  return { rootDir: path.normalize(rootDir), outDir: path.normalize(outDir), inputs }
}

/**
 * The source a built entry file comes from (`dist/x.js` -> `src/x.ts`), or
 * undefined when the path is not under the build's outDir.
 */
export function sourceOfBuilt (file: string): string | undefined {
  const { rootDir, outDir } = buildLayout()
  const rel = path.relative(outDir, path.normalize(file))
  if (rel.startsWith('..') || path.isAbsolute(rel) || !rel.endsWith('.js')) return undefined
  return path.join(rootDir, rel.replace(/\.js$/, '.ts'))
}

/**
 * Paths (relative to the application root) the built app reads at run time
 * besides dist/ and node_modules/: taken from the modules that read them.
 */
export function runtimeFiles (): string[] {
  return [PROTO_DIR, SCHEMA_FILE].map((p) => path.relative(ROOT_DIR, p))
}

/** A static import at run time (`import x from 'y'`, `import 'y'`; type-only ones excluded): its specifier is group 1. */
export const STATIC_IMPORT = /^\s*import\s+(?!type\s)(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/gm

/**
 * Bare package names that src/ imports or resolves at run time (type-only
 * imports excluded). The image has production dependencies only, so each
 * must be in package.json `dependencies`.
 */
export function runtimeImports (files: Array<{ file: string, text: string }>): Map<string, string> {
  const found = new Map<string, string>()
  const patterns = [
    STATIC_IMPORT,
    /^\s*export\s+(?!type\s)[^'"]*?\sfrom\s+['"]([^'"]+)['"]/gm,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire(?:\.resolve)?\(\s*['"]([^'"]+)['"]/g,
    /\bimport\.meta\.resolve\(\s*['"]([^'"]+)['"]/g,
    // Files located by path: 'node_modules/pkg/...' or join(..., 'node_modules', 'pkg', ...)
    /node_modules\/((?:@[^/'"]+\/)?[^/'"]+)/g,
    /['"]node_modules['"]\s*,\s*['"]((?:@[^/'"]+\/)?[^/'"]+)['"]/g
  ]
  for (const { file, text } of files) {
    for (const re of patterns) {
      for (const m of text.matchAll(re)) {
        const spec = m[1] ?? ''
        if (spec.startsWith('.') || spec.startsWith('node:') || spec.startsWith('/')) continue
        const parts = spec.split('/')
        const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? spec)
        if (!found.has(name)) found.set(name, file)
      }
    }
  }
  return found
}

/** A .dockerignore, as the build context sees it. */
export class DockerIgnore {
  private readonly rules: Array<{ negate: boolean, re: RegExp }>

  constructor (text: string) {
    this.rules = text.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#')).map((line) => {
      const negate = line.startsWith('!')
      const pattern = path.posix.normalize((negate ? line.slice(1) : line).trim()).replace(/^\/+|\/+$/g, '')
      return { negate, re: globToRegExp(pattern) }
    })
  }

  /** Whether the path (relative to the context) is left out of the context. */
  excludes (relative: string): boolean {
    const clean = path.posix.normalize(relative).replace(/^\.\/|\/+$/g, '')
    const segments = clean.split('/')
    // A rule matching a parent directory excludes everything below it.
    const candidates = segments.map((_, i) => segments.slice(0, i + 1).join('/'))
    let excluded = false
    for (const rule of this.rules) {
      if (candidates.some((c) => rule.re.test(c))) excluded = !rule.negate
    }
    return excluded
  }
}

function globToRegExp (pattern: string): RegExp {
  let re = ''
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string
    if (c === '*' && pattern[i + 1] === '*') {
      re += '.*'
      i++
      if (pattern[i + 1] === '/') i++
    } else if (c === '*') re += '[^/]*'
    else if (c === '?') re += '[^/]'
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`)
}
