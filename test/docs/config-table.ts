/**
 * The README's `## Configuration` table against CONFIG_SCHEMA and
 * `.env.example`. Run directly (`npx tsx test/docs/config-table.ts`) it
 * prints a table generated from the two, to paste and then edit.
 */
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { CONFIG_SCHEMA } from '../../src/config.js'

/** JSON schema properties, as far as the table needs them. */
export type SchemaProperties = Record<string, { type?: unknown, default?: unknown }>

export interface ConfigRow { name: string, default: string, meaning: string, line: number }

/** A variable in .env.example: its value (when set, not commented) and the comment above it. */
export interface EnvExampleEntry { name: string, value?: string, comment: string, line: number }

const UNSET = '(unset)'

/** How the table writes a schema default. */
export function renderDefault (value: unknown): string {
  return value === undefined ? UNSET : `\`${String(value)}\``
}

/** The body of a `## Heading` section, up to the next `## ` heading. */
export function section (markdown: string, heading: string): { body: string, line: number } | undefined {
  const lines = markdown.split('\n')
  const start = lines.findIndex((l) => l.trim() === `## ${heading}`)
  if (start < 0) return undefined
  const end = lines.findIndex((l, i) => i > start && /^## /.test(l))
  return { body: lines.slice(start + 1, end < 0 ? undefined : end).join('\n'), line: start + 1 }
}

function cells (row: string): string[] {
  // Split on pipes that are not escaped (`\|` inside a cell).
  return row.trim().replace(/^\||\|$/g, '').split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'))
}

/** Parse the Configuration table; problems for anything that is not a well-formed row. */
export function parseConfigTable (readme: string): { rows: ConfigRow[], problems: string[] } {
  const problems: string[] = []
  const rows: ConfigRow[] = []
  const sec = section(readme, 'Configuration')
  if (sec === undefined) return { rows, problems: ['README.md: no "## Configuration" section'] }
  const lines = sec.body.split('\n')
  const tableStart = lines.findIndex((l) => l.trim().startsWith('|'))
  if (tableStart < 0) return { rows, problems: ['README.md ## Configuration: no table'] }
  const header = cells(lines[tableStart] as string).map((c) => c.toLowerCase())
  if (header.join('|') !== 'variable|default|meaning') problems.push(`README.md ## Configuration: the table's header is "${header.join(' | ')}", expected "variable | default | meaning"`)
  if (!/^\|?\s*:?-{3,}/.test(lines[tableStart + 1] ?? '')) problems.push('README.md ## Configuration: the header has no |---| separator row')
  for (let i = tableStart + 2; i < lines.length && (lines[i] as string).trim().startsWith('|'); i++) {
    const line = sec.line + 1 + i
    const [name = '', def = '', meaning = '', ...rest] = cells(lines[i] as string)
    const m = /^`([A-Z][A-Z0-9_]*)`$/.exec(name)
    if (m === null || rest.length > 0) {
      problems.push(`README.md:${line}: not a "| \`NAME\` | default | meaning |" row: ${lines[i] as string}`)
      continue
    }
    rows.push({ name: m[1] as string, default: def, meaning, line })
  }
  const afterTable = lines.slice(tableStart).findIndex((l) => !l.trim().startsWith('|'))
  if (afterTable >= 0 && lines.slice(tableStart + afterTable).some((l) => l.trim().startsWith('|'))) {
    problems.push('README.md ## Configuration: more than one table; keep every variable in one')
  }
  return { rows, problems }
}

/** The variables .env.example names, set or shown as a commented example. */
export function parseEnvExample (text: string): EnvExampleEntry[] {
  const entries: EnvExampleEntry[] = []
  let comment: string[] = []
  text.split('\n').forEach((raw, i) => {
    const l = raw.trim()
    const set = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(l)
    const example = /^#\s*([A-Z][A-Z0-9_]*)=(.*)$/.exec(l)
    if (set !== null || example !== null) {
      const m = (set ?? example) as RegExpExecArray
      entries.push({ name: m[1] as string, ...(set !== null ? { value: set[2] as string } : {}), comment: comment.join(' '), line: i + 1 })
      comment = []
    } else if (l.startsWith('#') && !/^#\s*---/.test(l)) comment.push(l.replace(/^#\s?/, ''))
    else comment = []
  })
  return entries
}

/** A row generated from the schema and .env.example, for a missing variable. */
export function suggestRow (name: string, schema: SchemaProperties, env: EnvExampleEntry[]): string {
  const comment = env.find((e) => e.name === name)?.comment ?? ''
  return `| \`${name}\` | ${renderDefault(schema[name]?.default)} | ${comment.replace(/\|/g, '\\|') || 'TODO'} |`
}

/**
 * Every problem between the README table, the schema and .env.example. Empty
 * when each schema variable has exactly one row with the schema's default and
 * .env.example agrees.
 */
export function configTableProblems (readme: string, schema: SchemaProperties, envExample: string): string[] {
  const { rows, problems } = parseConfigTable(readme)
  const env = parseEnvExample(envExample)
  const names = Object.keys(schema)
  const seen = new Set<string>()
  for (const row of rows) {
    if (seen.has(row.name)) problems.push(`README.md:${row.line}: ${row.name} has more than one row`)
    seen.add(row.name)
    if (!(row.name in schema)) {
      problems.push(`README.md:${row.line}: the table names ${row.name}, which CONFIG_SCHEMA (src/config.ts) lacks`)
      continue
    }
    const expected = renderDefault(schema[row.name]?.default)
    if (row.default !== expected) problems.push(`README.md:${row.line}: ${row.name} default is ${row.default || '(empty)'}, the schema's is ${expected}`)
    if (row.meaning === '' || /^TODO\b/.test(row.meaning)) problems.push(`README.md:${row.line}: ${row.name} has no meaning`)
  }
  for (const name of names) {
    if (!seen.has(name)) problems.push(`README.md ## Configuration: no row for ${name}; add:\n${suggestRow(name, schema, env)}`)
  }
  const inExample = new Map(env.map((e) => [e.name, e]))
  for (const name of names) {
    const e = inExample.get(name)
    if (e === undefined) problems.push(`.env.example: ${name} is missing (as NAME=default, or "# NAME=example" when it has no default)`)
    else if (e.value !== undefined && schema[name]?.default === undefined) problems.push(`.env.example:${e.line}: ${name} has no default in the schema; show it commented out`)
    else if (e.value !== undefined && e.value !== String(schema[name]?.default)) problems.push(`.env.example:${e.line}: ${name}=${e.value}, the schema's default is ${String(schema[name]?.default)}`)
  }
  for (const e of env) if (!(e.name in schema)) problems.push(`.env.example:${e.line}: ${e.name} is not in CONFIG_SCHEMA`)
  return problems
}

/** The table generated from CONFIG_SCHEMA and .env.example. */
export function generateConfigTable (schema: SchemaProperties, envExample: string): string {
  const env = parseEnvExample(envExample)
  return ['| variable | default | meaning |', '|---|---|---|', ...Object.keys(schema).map((n) => suggestRow(n, schema, env))].join('\n')
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
  console.log(generateConfigTable(CONFIG_SCHEMA.properties, readFileSync(path.join(root, '.env.example'), 'utf8')))
}
