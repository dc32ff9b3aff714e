/**
 * The Dockerfile as the packaging checks need it, and the checks. Parsing
 * and syntax diagnostics come from dockerfile-ast / dockerfile-utils (the
 * parser behind VS Code's Docker support); the checks compare each stage
 * with the repository, so the file cannot drift from the code unnoticed.
 */
import path from 'node:path'
import { DockerfileParser, ModifiableInstruction, PropertyInstruction, type Instruction } from 'dockerfile-ast'
import { validate } from 'dockerfile-utils'
import { configDefault, configProblems, buildLayout, isDirectory, repoHas, runtimeFiles, sourceOfBuilt, type DockerIgnore } from './repo.js'

/** One instruction, continuations joined, flags split off. */
export interface DockerInstruction {
  keyword: string
  /** 1-based line of the instruction. */
  line: number
  flags: Map<string, string | null>
  /** The arguments after the flags, as written. */
  text: string
  /** The arguments split like the shell would (quotes removed). */
  args: string[]
  /** The exec form, when the arguments are a JSON array of strings. */
  exec?: string[]
  /** ENV and ARG: the name=value pairs. */
  properties?: Array<[string, string]>
}

/** A build stage: FROM and what follows it. */
export interface Stage {
  index: number
  name?: string
  /** The base image, build arguments substituted. */
  base: string
  line: number
  instructions: DockerInstruction[]
}

export interface ParsedDockerfile {
  stages: Stage[]
  /** Syntax problems; empty when the file is valid. */
  diagnostics: string[]
}

const EXEC_FORM = new Set(['CMD', 'ENTRYPOINT', 'RUN', 'SHELL', 'VOLUME', 'COPY', 'ADD'])

function normalize (inst: Instruction): DockerInstruction {
  const keyword = inst.getKeyword().toUpperCase()
  const text = (inst.getArgumentsContent() ?? '').trim()
  const out: DockerInstruction = {
    keyword,
    line: inst.getRange().start.line + 1,
    flags: new Map(),
    text,
    args: inst.getArguments().map((a) => a.getValue())
  }
  if (inst instanceof ModifiableInstruction) {
    for (const f of inst.getFlags()) out.flags.set(f.getName(), f.getValue())
    // getArguments() starts with the flags; keep the operands only.
    const firstOperand = out.args.findIndex((a) => !a.startsWith('--'))
    out.args = firstOperand < 0 ? [] : out.args.slice(firstOperand)
  }
  if (inst instanceof PropertyInstruction && (keyword === 'ENV' || keyword === 'ARG')) {
    out.properties = inst.getProperties().map((p) => [p.getName(), p.getUnescapedValue() ?? p.getValue() ?? ''])
  }
  const execText = keyword === 'HEALTHCHECK' ? text.replace(/^CMD\s+/i, '') : text
  if ((EXEC_FORM.has(keyword) || keyword === 'HEALTHCHECK') && execText.startsWith('[')) {
    try {
      const value: unknown = JSON.parse(execText)
      if (Array.isArray(value) && value.every((v) => typeof v === 'string')) out.exec = value as string[]
    } catch { /* reported by parseDockerfile */ }
  }
  return out
}

function substitute (value: string, vars: Map<string, string>): string {
  return value.replace(/\$\{(\w+)(?::?[-+][^}]*)?\}|\$(\w+)/g, (whole, a?: string, b?: string) => vars.get(a ?? b ?? '') ?? whole)
}

/** Parse a Dockerfile into stages, with its syntax diagnostics. */
export function parseDockerfile (text: string): ParsedDockerfile {
  const diagnostics = validate(text).map((d) => `Dockerfile:${d.range.start.line + 1}: ${d.message}`)
  const dockerfile = DockerfileParser.parse(text)
  const globalArgs = new Map<string, string>()
  const stages: Stage[] = []
  for (const inst of dockerfile.getInstructions().map(normalize)) {
    const execText = inst.keyword === 'HEALTHCHECK' ? inst.text.replace(/^CMD\s+/i, '') : inst.text
    if (execText.startsWith('[') && inst.exec === undefined && inst.keyword !== 'RUN') {
      diagnostics.push(`Dockerfile:${inst.line}: ${inst.keyword} looks like exec form but is not a JSON array of strings`)
    }
    if (inst.keyword === 'FROM') {
      const asIndex = inst.args.findIndex((a) => a.toUpperCase() === 'AS')
      const name = asIndex >= 0 ? inst.args[asIndex + 1] : undefined
      stages.push({ index: stages.length, ...(name !== undefined ? { name } : {}), base: substitute(inst.args[0] ?? '', globalArgs), line: inst.line, instructions: [] })
      continue
    }
    const stage = stages.at(-1)
    if (stage === undefined) {
      if (inst.keyword === 'ARG') for (const [k, v] of inst.properties ?? []) globalArgs.set(k, v)
      else diagnostics.push(`Dockerfile:${inst.line}: ${inst.keyword} before the first FROM`)
      continue
    }
    stage.instructions.push(inst)
  }
  if (stages.length === 0) diagnostics.push('Dockerfile: no FROM instruction')
  return { stages, diagnostics }
}

/** Where each path a stage holds came from, relative to nothing (absolute in the image). */
interface StageFiles {
  workdir: string
  /** Absolute paths the stage produced: copied in, or made by npm ci / npm run build. */
  produced: Map<string, string>
  /** Which of the produced paths are directories. */
  dirs: Set<string>
  env: Map<string, string>
  ranNpmCi?: 'all' | 'production'
  ranBuild: boolean
}

function resolveIn (workdir: string, p: string): string {
  return path.posix.resolve(workdir, p)
}

function isUnder (p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith('/') ? dir : `${dir}/`)
}

/** Whether the stage holds the path, copied in or produced. */
function holds (files: StageFiles, absolute: string): string | undefined {
  for (const [p, origin] of files.produced) if (isUnder(absolute, p)) return origin
  return undefined
}

export interface DockerfileFacts {
  /** The final stage's exec-form HEALTHCHECK command. */
  healthcheck?: string[]
  /** The final stage's CMD and ENTRYPOINT. */
  cmd?: string[]
  entrypoint?: string[]
  /** The final stage's environment. */
  env: Map<string, string>
  stageNames: string[]
  finalStage?: Stage
}

export interface DockerfileCheckOptions {
  dockerignore: DockerIgnore
  /** package.json engines.node, e.g. ">=20". */
  enginesNode?: string
}

/** Check a parsed Dockerfile against the repository; returns problems and what later checks need. */
export function checkDockerfile (parsed: ParsedDockerfile, opts: DockerfileCheckOptions): { problems: string[], facts: DockerfileFacts } {
  const problems = [...parsed.diagnostics]
  const { stages } = parsed
  const facts: DockerfileFacts = { env: new Map(), stageNames: stages.flatMap((s) => s.name !== undefined ? [s.name] : []) }
  const final = stages.at(-1)
  if (final === undefined) return { problems, facts }
  facts.finalStage = final
  if (stages.length < 2) problems.push('Dockerfile: not multi-stage (build the TypeScript in one stage, run it from another)')

  const layout = buildLayout()
  const files = new Map<Stage, StageFiles>()
  const stageByRef = (ref: string): Stage | undefined => stages.find((s) => s.name === ref) ?? (/^\d+$/.test(ref) ? stages[Number(ref)] : undefined)
  const at = (inst: DockerInstruction): string => `Dockerfile:${inst.line}`

  for (const stage of stages) {
    const state: StageFiles = { workdir: '/', produced: new Map(), dirs: new Set(), env: new Map(), ranBuild: false }
    files.set(stage, state)
    for (const inst of stage.instructions) {
      switch (inst.keyword) {
        case 'WORKDIR':
          state.workdir = resolveIn(state.workdir, inst.args[0] ?? '/')
          break
        case 'ENV':
          for (const [k, v] of inst.properties ?? []) state.env.set(k, v)
          break
        case 'COPY':
        case 'ADD': {
          const operands = inst.exec ?? inst.args
          const sources = operands.slice(0, -1)
          const dest = operands.at(-1) ?? '.'
          const from = inst.flags.get('from') ?? undefined
          if (sources.length === 0) problems.push(`${at(inst)}: ${inst.keyword} without a source`)
          const other = from !== undefined ? stageByRef(from) : undefined
          const otherFiles = other !== undefined ? files.get(other) : undefined
          if (from !== undefined && (other === undefined || otherFiles === undefined || other.index >= stage.index)) {
            problems.push(`${at(inst)}: COPY --from=${from} names no earlier stage`)
            break
          }
          for (const src of sources) {
            if (/[*?[]/.test(src)) {
              problems.push(`${at(inst)}: ${inst.keyword} ${src}: wildcards are not checked here; name the paths`)
              continue
            }
            let origin: string
            let srcIsDir: boolean
            if (otherFiles === undefined) {
              const rel = path.posix.normalize(src).replace(/^\/+/, '')
              if (!repoHas(rel)) problems.push(`${at(inst)}: COPY source ${src} does not exist in the repository`)
              else if (opts.dockerignore.excludes(rel)) problems.push(`${at(inst)}: COPY source ${src} is excluded by .dockerignore`)
              origin = 'context'
              srcIsDir = isDirectory(rel)
            } else {
              const absolute = resolveIn(otherFiles.workdir, src)
              const produced = holds(otherFiles, absolute)
              if (produced === undefined) problems.push(`${at(inst)}: COPY --from=${from} ${src}: stage ${from} neither copies nor produces it`)
              origin = produced ?? `stage ${from}`
              srcIsDir = otherFiles.dirs.has(absolute)
            }
            const intoDir = dest.endsWith('/') || sources.length > 1 || dest === '.'
            if (srcIsDir && intoDir) {
              // COPY dir dest/ copies the directory's contents, not the directory.
              problems.push(`${at(inst)}: ${inst.keyword} ${src} ${dest} copies the contents of ${src}; name the target directory`)
              continue
            }
            const target = intoDir ? resolveIn(resolveIn(state.workdir, dest), path.posix.basename(src)) : resolveIn(state.workdir, dest)
            if (srcIsDir) state.dirs.add(target)
            state.produced.set(target, origin)
          }
          break
        }
        case 'RUN': {
          const cmd = inst.exec?.join(' ') ?? inst.text
          if (/\bnpm (ci|install)\b/.test(cmd)) {
            const production = /--omit[= ]dev\b|--only[= ]prod(uction)?\b|--production\b/.test(cmd)
            if (/\bnpm install\b/.test(cmd)) problems.push(`${at(inst)}: use npm ci (the lockfile), not npm install`)
            if (!holds(state, resolveIn(state.workdir, 'package-lock.json'))) problems.push(`${at(inst)}: npm ci before package-lock.json is copied in`)
            state.ranNpmCi = production ? 'production' : 'all'
            state.produced.set(resolveIn(state.workdir, 'node_modules'), production ? 'npm ci --omit=dev' : 'npm ci')
            state.dirs.add(resolveIn(state.workdir, 'node_modules'))
          }
          if (/\bnpm run build\b/.test(cmd)) {
            for (const input of ['package.json', ...layout.inputs]) {
              if (!holds(state, resolveIn(state.workdir, input))) problems.push(`${at(inst)}: npm run build before ${input} is copied in`)
            }
            if (state.ranNpmCi !== 'all') problems.push(`${at(inst)}: npm run build needs the dev dependencies (npm ci without --omit=dev) first`)
            state.ranBuild = true
            state.produced.set(resolveIn(state.workdir, layout.outDir), 'npm run build')
            state.dirs.add(resolveIn(state.workdir, layout.outDir))
          }
          break
        }
      }
    }
  }

  // --- the final stage: what the container runs with ----------------------
  const state = files.get(final) as StageFiles
  const finalInst = (keyword: string): DockerInstruction[] => final.instructions.filter((i) => i.keyword === keyword)
  const last = (keyword: string): DockerInstruction | undefined => finalInst(keyword).at(-1)
  facts.env = state.env

  if (!stages.slice(0, -1).some((s) => files.get(s)?.ranBuild === true)) problems.push('Dockerfile: no build stage runs npm run build')
  if (state.ranBuild || state.ranNpmCi === 'all') problems.push('Dockerfile: the final stage builds or installs dev dependencies; it should hold production dependencies only')

  const base = /^node:(\d+)(?:\.[\d.]+)?-(slim|alpine)/.exec(final.base)
  if (base === null) problems.push(`Dockerfile:${final.line}: final base image ${final.base} is not node:<major>-slim or -alpine`)
  else {
    const min = /^>=\s*(\d+)/.exec(opts.enginesNode ?? '')
    if (min !== null && Number(base[1]) < Number(min[1])) problems.push(`Dockerfile:${final.line}: ${final.base} is older than package.json engines.node ${opts.enginesNode}`)
  }

  // Everything the app reads at run time, relative to the application root.
  const appRoot = state.workdir
  const needed: Array<[string, string]> = [
    ['package.json', 'its "type": "module" makes dist/*.js ES modules'],
    ['node_modules', 'production dependencies'],
    [layout.outDir, 'the compiled app'],
    ...runtimeFiles().map((f): [string, string] => [f, 'read at run time from the application root'])
  ]
  for (const [rel, why] of needed) {
    const origin = holds(state, resolveIn(appRoot, rel))
    if (origin === undefined) problems.push(`Dockerfile: the final stage lacks ${path.posix.join(appRoot, rel)} (${why})`)
    else if (rel === 'node_modules' && origin !== 'npm ci --omit=dev') problems.push(`Dockerfile: the final stage's node_modules come from "${origin}", not from npm ci --omit=dev`)
  }

  const user = last('USER')
  const userName = user?.args[0]?.split(':')[0]
  if (user === undefined || userName === 'root' || userName === '0') problems.push('Dockerfile: the final stage must switch to a non-root USER')

  const envProblems = configProblems(Object.fromEntries(state.env), 'Dockerfile ENV')
  problems.push(...envProblems)
  if (state.env.get('HOST') !== '0.0.0.0') problems.push('Dockerfile: ENV HOST=0.0.0.0 is missing (the default 127.0.0.1 is unreachable from outside the container)')
  const port = String(state.env.get('PORT') ?? configDefault('PORT'))
  if (port !== String(configDefault('PORT'))) problems.push(`Dockerfile: ENV PORT=${port} differs from the config default ${String(configDefault('PORT'))}`)
  const exposed = finalInst('EXPOSE').flatMap((i) => i.args.map((a) => a.split('/')[0]))
  if (exposed.length === 0) problems.push('Dockerfile: no EXPOSE in the final stage')
  for (const p of exposed) if (p !== port) problems.push(`Dockerfile: EXPOSE ${p} is not the gateway's port ${port}`)

  const healthchecks = finalInst('HEALTHCHECK')
  const hc = healthchecks.at(-1)
  if (hc === undefined || /^NONE$/i.test(hc.text)) problems.push('Dockerfile: no HEALTHCHECK in the final stage')
  else if (hc.exec === undefined) problems.push(`${at(hc)}: HEALTHCHECK should use the exec form CMD ["node", "-e", ...] (no shell assumed)`)
  else {
    facts.healthcheck = hc.exec
    if (!hc.exec.join(' ').includes('/healthz')) problems.push(`${at(hc)}: HEALTHCHECK does not probe /healthz`)
  }

  const cmd = last('CMD')
  const entrypoint = last('ENTRYPOINT')
  if (cmd?.exec === undefined) problems.push('Dockerfile: the final stage needs an exec-form CMD')
  else {
    facts.cmd = cmd.exec
    problems.push(...nodeCommandProblems(cmd.exec, `${at(cmd)}: CMD`))
  }
  if (entrypoint !== undefined) {
    if (entrypoint.exec === undefined) problems.push(`${at(entrypoint)}: ENTRYPOINT in shell form would keep signals from node`)
    else {
      facts.entrypoint = entrypoint.exec
      const init = entrypoint.exec[0] ?? ''
      if (path.posix.basename(init) === 'tini') {
        const installed = final.instructions.some((i) => i.keyword === 'RUN' && /\b(apt-get|apk)\b[^&|;]*\binstall\b[^&|;]*\btini\b|\bapk add\b[^&|;]*\btini\b/.test(i.text))
        if (!installed) problems.push(`${at(entrypoint)}: ENTRYPOINT runs tini, which the final stage does not install`)
        const expected = base?.[2] === 'alpine' ? '/sbin/tini' : '/usr/bin/tini'
        if (init.startsWith('/') && init !== expected) problems.push(`${at(entrypoint)}: tini is at ${expected} on ${final.base}, not ${init}`)
      } else problems.push(`${at(entrypoint)}: ENTRYPOINT ${init} is not an init the check knows (tini)`)
    }
  }
  return { problems, facts }
}

/** Problems of an exec-form `node <file>` command: the file must be built from a source in the repository. */
export function nodeCommandProblems (command: string[], where: string): string[] {
  if (command[0] !== 'node') return [`${where}: ${JSON.stringify(command)} does not run node`]
  const file = command.slice(1).find((a) => !a.startsWith('-'))
  if (file === undefined) return [`${where}: ${JSON.stringify(command)} names no file`]
  const source = sourceOfBuilt(file)
  if (source === undefined) return [`${where}: ${file} is not under the build's outDir`]
  if (!repoHas(source)) return [`${where}: ${file} would be built from ${source}, which does not exist`]
  return []
}
