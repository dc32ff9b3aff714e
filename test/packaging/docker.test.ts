/**
 * Dockerfile, .dockerignore and docker-compose.yml, checked without a Docker
 * engine: parsed, then compared with the code (config schema, build layout,
 * entry files, files read at run time, dependencies). The healthcheck
 * one-liners are run for real against the app and the simulator. Every
 * check is also shown to fail on a drifted copy of the files.
 */
import { execFile } from 'node:child_process'
import { readdirSync } from 'node:fs'
import net from 'node:net'
import path from 'node:path'
import { promisify } from 'node:util'
import t, { type Test } from 'tap'
import { loadConfig } from '../../src/config.js'
import { GRAPHIQL_VENDOR_FILES } from '../../src/graphql/graphiql.js'
import { GOOGLE_PROTOS_DIR } from '../../src/upstream/contract.js'
import { buildTestApp } from '../helpers/app.js'
import { nodeCommand } from '../helpers/node-child.js'
import { checkCompose } from './compose.js'
import { checkDockerfile, parseDockerfile } from './dockerfile.js'
import { DockerIgnore, ROOT_DIR, readRepoFile, runtimeImports } from './repo.js'

const DOCKERFILE = readRepoFile('Dockerfile')
const COMPOSE = readRepoFile('docker-compose.yml')
const DOCKERIGNORE = readRepoFile('.dockerignore')
const PKG = JSON.parse(readRepoFile('package.json')) as { engines?: { node?: string }, dependencies?: Record<string, string>, devDependencies?: Record<string, string> }

function dockerfileCheck (text = DOCKERFILE, ignore = DOCKERIGNORE): ReturnType<typeof checkDockerfile> {
  return checkDockerfile(parseDockerfile(text), { dockerignore: new DockerIgnore(ignore), ...(PKG.engines?.node !== undefined ? { enginesNode: PKG.engines.node } : {}) })
}

function composeCheck (text = COMPOSE): ReturnType<typeof checkCompose> {
  return checkCompose(text, dockerfileCheck().facts)
}

/** Replace once, insisting the text is there, so a drift case cannot pass by not applying. */
function drift (t: Test, text: string, from: string | RegExp, to: string): string {
  const out = text.replace(from, to)
  t.not(out, text, `the drift case applies (${String(from)})`)
  return out
}

t.test('Dockerfile agrees with the repository', async (t) => {
  const { problems, facts } = dockerfileCheck()
  t.same(problems, [], 'no problems')
  t.same(facts.cmd, ['node', 'dist/server.js'])
  t.equal(facts.finalStage?.instructions.find((i) => i.keyword === 'USER')?.args[0], 'node')
  t.ok((facts.stageNames.length) >= 2, 'multi-stage')
})

t.test('docker-compose.yml agrees with the Dockerfile and the config schema', async (t) => {
  const { problems, facts } = composeCheck()
  t.same(problems, [], 'no problems')
  t.same([...facts.services.keys()].sort(), ['gateway', 'gateway-2', 'redis', 'simulator'])
  const gateway = facts.services.get('gateway')
  t.equal(gateway?.env.VBASE_UPSTREAM, 'simulator:50051')
  t.equal(gateway?.env.CACHE_REDIS_URL, 'redis://redis:6379/0')
  t.same(facts.services.get('gateway-2')?.profiles, ['replicas'])
  t.same(facts.services.get('simulator')?.command, ['node', 'dist/simulator/main.js'])
  // Both replicas take the host's secret; with none on the host the value is
  // empty, which the config reads as unset, so `docker compose up` still boots.
  for (const name of ['gateway', 'gateway-2']) {
    const raw = (facts.services.get(name)?.raw.environment as Record<string, unknown> | undefined)?.PRINCIPAL_HASH_SECRET
    t.equal(raw, '${PRINCIPAL_HASH_SECRET:-}', `${name} passes PRINCIPAL_HASH_SECRET through from the host`)
    t.equal(facts.services.get(name)?.env.PRINCIPAL_HASH_SECRET, '', 'empty when the host has none')
  }
  t.equal(loadConfig({ PRINCIPAL_HASH_SECRET: '' }).PRINCIPAL_HASH_SECRET, undefined, 'and empty is unset')
})

t.test('every package src/ loads at run time is a production dependency', async (t) => {
  const files = readdirSync(path.join(ROOT_DIR, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !f.startsWith(`generated${path.sep}`))
    .map((f) => ({ file: `src/${f}`, text: readRepoFile(path.join('src', f)) }))
  const deps = PKG.dependencies ?? {}
  const imports = runtimeImports(files)
  t.ok(imports.size > 5, `found ${imports.size} packages`)
  for (const [name, file] of imports) {
    t.ok(name in deps, `${name} (loaded by ${file}) is in dependencies${name in (PKG.devDependencies ?? {}) ? ', not devDependencies' : ''}`)
  }
  // Files the app locates inside packages (GraphiQL's browser bundles, the
  // google protos): the packages must be installed in the image too.
  for (const file of [...Object.values(GRAPHIQL_VENDOR_FILES), path.join(GOOGLE_PROTOS_DIR, 'package.json')]) {
    const rel = path.relative(ROOT_DIR, file).split(path.sep)
    t.equal(rel[0], 'node_modules', `${rel.join('/')} is a package file`)
    const name = (rel[1] ?? '').startsWith('@') ? `${rel[1]}/${rel[2]}` : rel[1] ?? ''
    t.ok(name in deps, `${name} (its files are served or read at run time) is in dependencies`)
  }
  // The check itself: a dev dependency loaded at run time is caught.
  const fake = runtimeImports([{ file: 'x.ts', text: "import t from 'tap'\nimport type { X } from 'typescript'\nconst p = require.resolve('yaml/package.json')\n" }])
  t.same([...fake.keys()].sort(), ['tap', 'yaml'])
})

/** Run a healthcheck's exec form the way the container would, with this environment (and without tap's NODE_OPTIONS, which a container has not). */
async function runHealthcheck (command: string[] | undefined, env: Record<string, string>): Promise<number> {
  if (command === undefined || command[0] !== 'node') throw new Error(`not a node command: ${JSON.stringify(command)}`)
  try {
    await promisify(execFile)(...nodeCommand(command.slice(1)), { cwd: ROOT_DIR, env: { ...process.env, ...env }, timeout: 10_000 })
    return 0
  } catch (err) {
    return (err as { code?: number }).code ?? -1
  }
}

async function closedPort (): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as net.AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

t.test('the healthcheck commands work against the real processes', async (t) => {
  const { app, sim } = await buildTestApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = String((app.server.address() as net.AddressInfo).port)
  const simPort = sim.address.split(':').at(-1) as string
  const closed = String(await closedPort())
  const docker = dockerfileCheck().facts
  const services = composeCheck().facts.services

  t.equal(await runHealthcheck(docker.healthcheck, { PORT: port }), 0, 'Dockerfile HEALTHCHECK: healthy gateway')
  t.equal(await runHealthcheck(docker.healthcheck, { PORT: closed }), 1, 'Dockerfile HEALTHCHECK: nothing listening')
  t.equal(await runHealthcheck(services.get('gateway')?.healthcheck, { PORT: port }), 0, 'compose gateway healthcheck: healthy')
  t.equal(await runHealthcheck(services.get('gateway')?.healthcheck, { PORT: closed }), 1, 'compose gateway healthcheck: down')
  t.equal(await runHealthcheck(services.get('simulator')?.healthcheck, { SIM_PORT: simPort }), 0, 'compose simulator healthcheck: listening')
  t.equal(await runHealthcheck(services.get('simulator')?.healthcheck, { SIM_PORT: closed }), 1, 'compose simulator healthcheck: down')
})

t.test('a drifted Dockerfile fails the check', async (t) => {
  const cases: Array<[string, string | RegExp, string, RegExp]> = [
    ['renamed entry', '"dist/server.js"]', '"dist/serve.js"]', /dist\/serve\.js would be built from src\/serve\.ts/],
    ['root user', /^USER node\n/m, '', /non-root USER/],
    ['missing schema', 'COPY schema.graphql ./', 'COPY schema.gql ./', /schema\.gql does not exist.*|lacks \/app\/schema\.graphql/],
    ['missing proto', /^COPY proto \.\/proto\n/m, '', /lacks \/app\/proto/],
    ['wrong port', 'EXPOSE 4000', 'EXPOSE 8080', /EXPOSE 8080/],
    ['unknown variable', 'PORT=4000', 'PORT=4000 \\\n    CACHE_TTL=5', /CACHE_TTL is not a variable/],
    ['bad variable value', 'PORT=4000', 'PORT=4000 LOG_LEVEL=loud', /loadConfig rejects.*LOG_LEVEL/],
    ['no host', 'ENV HOST=0.0.0.0 \\', 'ENV HOST=127.0.0.1 \\', /HOST=0\.0\.0\.0/],
    ['healthcheck path', "'/healthz'", "'/health'", /does not probe \/healthz/],
    ['dev deps in runtime', 'npm ci --omit=dev', 'npm ci', /node_modules come from "npm ci"/],
    ['build inputs', 'COPY src ./src', 'COPY src ./', /copies the contents of src/],
    ['build before sources', /^COPY src \.\/src\n/m, '', /npm run build before src is copied in/],
    ['syntax', 'HEALTHCHECK --interval', 'HEALTHCHECK --intervl', /Unknown flag: intervl/],
    ['old node', 'NODE_IMAGE=node:20-slim', 'NODE_IMAGE=node:18-slim', /older than package\.json engines/],
    ['tini not installed', ' tini \\', ' \\', /runs tini, which the final stage does not install/],
    ['unknown stage', 'COPY --from=build ', 'COPY --from=builder ', /--from=builder names no earlier stage/],
    ['single stage', /FROM \$\{NODE_IMAGE\} AS (build|prod-deps)\n/g, '', /not multi-stage|no build stage/]
  ]
  for (const [name, from, to, expected] of cases) {
    const { problems } = dockerfileCheck(drift(t, DOCKERFILE, from, to))
    t.match(problems.join('\n'), expected, name)
  }
  const ignored = dockerfileCheck(DOCKERFILE, `${DOCKERIGNORE}\nproto\n`).problems
  t.match(ignored.join('\n'), /COPY source proto is excluded by \.dockerignore/, '.dockerignore excludes a copied path')
  const reincluded = dockerfileCheck(DOCKERFILE, `${DOCKERIGNORE}\n*.graphql\n!schema.graphql\n`).problems
  t.same(reincluded, [], 'a ! exception re-includes it')
})

t.test('a drifted docker-compose.yml fails the check', async (t) => {
  const cases: Array<[string, string | RegExp, string, RegExp]> = [
    ['upstream port', 'VBASE_UPSTREAM: simulator:50051', 'VBASE_UPSTREAM: simulator:50052', /VBASE_UPSTREAM port 50052 is not simulator's SIM_PORT 50051/],
    ['upstream host', 'VBASE_UPSTREAM: simulator:50051', 'VBASE_UPSTREAM: vbase:50051', /VBASE_UPSTREAM vbase:50051 does not name a service/],
    ['unknown variable', 'CACHE_REDIS_URL: redis://redis:6379/0', 'CACHE_REDIS_URL: redis://redis:6379/0\n    CACHE_TTL: "5"', /gateway environment: CACHE_TTL is not a variable/],
    ['bad value', 'LOG_LEVEL: ${LOG_LEVEL:-info}', 'LOG_LEVEL: ${LOG_LEVEL:-loud}', /loadConfig rejects.*LOG_LEVEL/],
    ['no default', 'LOG_LEVEL: ${LOG_LEVEL:-info}', 'LOG_LEVEL: ${LOG_LEVEL}', /has no default/],
    ['renamed simulator entry', '"dist/simulator/main.js"', '"dist/sim/main.js"', /src\/sim\/main\.ts, which does not exist/],
    ['condition', /condition: service_healthy/, 'condition: service_started', /without condition service_healthy/],
    ['profile', 'profiles: [replicas]', 'profiles: [extra]', /profile "replicas" adds no second gateway/],
    ['redis healthcheck', '"redis-cli", "ping"', '"redis-cli", "info"', /redis-cli ping/],
    ['yaml', /$/, '\n  broken: [unclosed\n', /docker-compose\.yml: /],
    ['typo', 'stop_grace_period', 'stop_grace', /unknown key stop_grace/],
    ['target', 'target: runtime', 'target: build', /not the Dockerfile's final/],
    ['host port clash', '"4001:4000"', '"4000:4000"', /host port 4000 is also published/],
    ['container port', '"50051:50051"', '"50051:50052"', /container port 50052/],
    ['host', 'HOST: 0.0.0.0', 'HOST: 127.0.0.1', /must listen on 0\.0\.0\.0/],
    ['undocumented port', '"50051:50051"', '"15051:50051"', /host port 15051 is not documented/],
    ['redis published', '"--appendonly", "no"]\n', '"--appendonly", "no"]\n    ports:\n      - "6379:6379"\n', /services\.redis: publishes host port 6379/],
    ['stop before the grace period ends', 'stop_grace_period: 15s', 'stop_grace_period: 10s', /stop_grace_period 10s does not outlast/],
    ['tls to the simulator', '    VBASE_UPSTREAM: simulator:50051', '    VBASE_TLS: "true"\n    VBASE_UPSTREAM: simulator:50051', /simulator speaks plaintext/]
  ]
  for (const [name, from, to, expected] of cases) {
    const { problems } = composeCheck(drift(t, COMPOSE, from, to))
    t.match(problems.join('\n'), expected, name)
  }
})
