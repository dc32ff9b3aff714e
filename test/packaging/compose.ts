/**
 * docker-compose.yml checks: YAML and Compose structure, the services the
 * issue asks for, healthchecks and depends_on, and every environment
 * variable against the gateway's config schema.
 */
import { parseDocument } from 'yaml'
import { configDefault, configProblems } from './repo.js'
import { nodeCommandProblems, type DockerfileFacts } from './dockerfile.js'

/** Top-level keys of the Compose specification. */
const TOP_LEVEL_KEYS = new Set(['version', 'name', 'include', 'services', 'networks', 'volumes', 'configs', 'secrets', 'models'])

/** Service keys of the Compose specification; a typo (`healtcheck`) is a problem. */
const SERVICE_KEYS = new Set([
  'annotations', 'attach', 'blkio_config', 'build', 'cap_add', 'cap_drop', 'cgroup', 'cgroup_parent', 'command',
  'configs', 'container_name', 'cpu_count', 'cpu_percent', 'cpu_period', 'cpu_quota', 'cpu_rt_period',
  'cpu_rt_runtime', 'cpu_shares', 'cpus', 'cpuset', 'credential_spec', 'depends_on', 'deploy', 'develop',
  'device_cgroup_rules', 'devices', 'dns', 'dns_opt', 'dns_search', 'domainname', 'entrypoint', 'env_file',
  'environment', 'expose', 'extends', 'external_links', 'extra_hosts', 'gpus', 'group_add', 'healthcheck',
  'hostname', 'image', 'init', 'ipc', 'isolation', 'label_file', 'labels', 'links', 'logging', 'mac_address',
  'mem_limit', 'mem_reservation', 'mem_swappiness', 'memswap_limit', 'models', 'network_mode', 'networks',
  'oom_kill_disable', 'oom_score_adj', 'pid', 'pids_limit', 'platform', 'ports', 'post_start', 'pre_stop',
  'privileged', 'profiles', 'provider', 'pull_policy', 'read_only', 'restart', 'runtime', 'scale', 'secrets',
  'security_opt', 'shm_size', 'stdin_open', 'stop_grace_period', 'stop_signal', 'storage_opt', 'sysctls',
  'tmpfs', 'tty', 'ulimits', 'use_api_socket', 'user', 'userns_mode', 'uts', 'volumes', 'volumes_from',
  'working_dir'
])
const HEALTHCHECK_KEYS = new Set(['test', 'interval', 'timeout', 'retries', 'start_period', 'start_interval', 'disable'])
const DEPENDS_ON_CONDITIONS = new Set(['service_started', 'service_healthy', 'service_completed_successfully'])
const DURATION = /^(\d+(\.\d+)?(us|ms|s|m|h))+$/

/** A service as the checks see it. */
export interface ComposeService {
  name: string
  raw: Record<string, unknown>
  profiles: string[]
  /** Environment after `${VAR:-default}` interpolation. */
  env: Record<string, string>
  /** Exec-form command, the service's own or the image's CMD. */
  command?: string[]
  healthcheck?: string[]
  dependsOn: Map<string, string>
  /** Published ports: host -> container. */
  ports: Array<{ host: number, container: number }>
  /** Built from this repository's Dockerfile. */
  built: boolean
}

export interface ComposeFacts {
  services: Map<string, ComposeService>
}

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

/** Interpolate like Compose with an empty shell environment: `${X:-d}` and `${X-d}` give d. */
function interpolate (value: string, where: string, problems: string[]): string {
  return value.replace(/\$\$|\$\{(\w+)(?:(:?[-?])([^}]*))?\}|\$(\w+)/g, (whole, name?: string, op?: string, arg?: string, bare?: string) => {
    if (whole === '$$') return '$'
    if (op === ':-' || op === '-') return arg ?? ''
    problems.push(`${where}: ${whole} has no default; the file should run with no .env`)
    return name ?? bare ?? ''
  })
}

function toEnv (raw: unknown, where: string, problems: string[]): Record<string, string> {
  const env: Record<string, string> = {}
  if (raw === undefined) return env
  const entries: Array<[string, unknown]> = Array.isArray(raw)
    ? raw.map((e) => { const s = String(e); const i = s.indexOf('='); return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)] })
    : isObj(raw) ? Object.entries(raw) : []
  if (!Array.isArray(raw) && !isObj(raw)) problems.push(`${where}: environment is neither a map nor a list`)
  for (const [k, v] of entries) {
    if (v === undefined || v === null) {
      problems.push(`${where}: ${k} takes its value from the host environment; give it one`)
      continue
    }
    if (typeof v === 'object') {
      problems.push(`${where}: ${k} is not a scalar`)
      continue
    }
    env[k] = interpolate(String(v), `${where} ${k}`, problems)
  }
  return env
}

function toExec (raw: unknown, where: string, problems: string[]): string[] | undefined {
  if (raw === undefined) return undefined
  if (Array.isArray(raw) && raw.every((a) => typeof a === 'string')) return raw
  problems.push(`${where}: use the exec (list) form`)
  return undefined
}

function parsePorts (raw: unknown, where: string, problems: string[]): Array<{ host: number, container: number }> {
  if (raw === undefined) return []
  if (!Array.isArray(raw)) {
    problems.push(`${where}: ports is not a list`)
    return []
  }
  return raw.flatMap((p) => {
    const m = /^(?:[\d.]+:)?(\d+):(\d+)(?:\/tcp)?$/.exec(String(p))
    if (m === null) {
      problems.push(`${where}: port "${String(p)}" is not "host:container"`)
      return []
    }
    return [{ host: Number(m[1]), container: Number(m[2]) }]
  })
}

/** Parse and check docker-compose.yml against the Dockerfile's facts and the config schema. */
export function checkCompose (text: string, dockerfile: DockerfileFacts): { problems: string[], facts: ComposeFacts } {
  const problems: string[] = []
  const services = new Map<string, ComposeService>()
  const doc = parseDocument(text, { merge: true, uniqueKeys: true })
  for (const e of [...doc.errors, ...doc.warnings]) problems.push(`docker-compose.yml: ${e.message}`)
  const root: unknown = doc.errors.length === 0 ? doc.toJS({ maxAliasCount: 100 }) : undefined
  if (!isObj(root)) {
    if (doc.errors.length === 0) problems.push('docker-compose.yml: not a mapping')
    return { problems, facts: { services } }
  }
  for (const key of Object.keys(root)) {
    if (!TOP_LEVEL_KEYS.has(key) && !key.startsWith('x-')) problems.push(`docker-compose.yml: unknown top-level key ${key}`)
  }
  if (!isObj(root.services)) {
    problems.push('docker-compose.yml: no services')
    return { problems, facts: { services } }
  }

  for (const [name, raw] of Object.entries(root.services)) {
    const where = `docker-compose.yml services.${name}`
    if (!isObj(raw)) {
      problems.push(`${where}: not a mapping`)
      continue
    }
    for (const key of Object.keys(raw)) {
      if (!SERVICE_KEYS.has(key) && !key.startsWith('x-')) problems.push(`${where}: unknown key ${key}`)
    }
    const built = raw.build !== undefined
    if (built) {
      const build = isObj(raw.build) ? raw.build : { context: raw.build }
      if (build.context !== '.' && build.context !== './') problems.push(`${where}: build.context is not the repository root`)
      if (build.dockerfile !== undefined && build.dockerfile !== 'Dockerfile') problems.push(`${where}: build.dockerfile is not Dockerfile`)
      if (build.target !== undefined && !dockerfile.stageNames.includes(String(build.target))) {
        problems.push(`${where}: build.target ${String(build.target)} is not a stage of the Dockerfile (${dockerfile.stageNames.join(', ')})`)
      } else if (build.target !== undefined && build.target !== dockerfile.finalStage?.name) {
        problems.push(`${where}: build.target ${String(build.target)} is not the Dockerfile's final (runtime) stage`)
      }
    } else if (typeof raw.image !== 'string') problems.push(`${where}: neither build nor image`)

    const hc = raw.healthcheck
    let healthcheck: string[] | undefined
    if (hc === undefined) problems.push(`${where}: no healthcheck`)
    else if (!isObj(hc)) problems.push(`${where}: healthcheck is not a mapping`)
    else {
      for (const key of Object.keys(hc)) if (!HEALTHCHECK_KEYS.has(key)) problems.push(`${where}: unknown healthcheck key ${key}`)
      for (const key of ['interval', 'timeout', 'start_period', 'start_interval']) {
        if (hc[key] !== undefined && !DURATION.test(String(hc[key]))) problems.push(`${where}: healthcheck.${key} ${String(hc[key])} is not a duration`)
      }
      if (hc.disable === true) problems.push(`${where}: healthcheck disabled`)
      const test = toExec(hc.test, `${where} healthcheck.test`, problems)
      if (test !== undefined) {
        if (test[0] !== 'CMD') problems.push(`${where}: healthcheck.test should start with CMD (exec, no shell needed)`)
        else healthcheck = test.slice(1)
      }
    }

    const dependsOn = new Map<string, string>()
    if (Array.isArray(raw.depends_on)) for (const d of raw.depends_on) dependsOn.set(String(d), 'service_started')
    else if (isObj(raw.depends_on)) {
      for (const [dep, cond] of Object.entries(raw.depends_on)) {
        const condition = isObj(cond) && typeof cond.condition === 'string' ? cond.condition : 'service_started'
        if (!DEPENDS_ON_CONDITIONS.has(condition)) problems.push(`${where}: depends_on.${dep}.condition ${condition} is not a Compose condition`)
        dependsOn.set(dep, condition)
      }
    }
    const profiles = Array.isArray(raw.profiles) ? raw.profiles.map(String) : []
    const own = toExec(raw.command, `${where} command`, problems)
    const command = own ?? (built ? dockerfile.cmd : undefined)
    services.set(name, {
      name,
      raw,
      profiles,
      env: toEnv(raw.environment, where, problems),
      ...(command !== undefined ? { command } : {}),
      ...(healthcheck !== undefined ? { healthcheck } : {}),
      dependsOn,
      ports: parsePorts(raw.ports, where, problems),
      built
    })
  }

  // --- references between services ---------------------------------------
  for (const s of services.values()) {
    for (const [dep] of s.dependsOn) {
      const target = services.get(dep)
      if (target === undefined) problems.push(`services.${s.name}: depends_on names no service ${dep}`)
      else if (target.profiles.length > 0 && !target.profiles.some((p) => s.profiles.includes(p))) {
        problems.push(`services.${s.name}: depends on ${dep}, which runs only with profile ${target.profiles.join('/')}`)
      }
    }
  }
  const hostPorts = new Map<number, string>()
  for (const s of services.values()) {
    for (const { host } of s.ports) {
      const other = hostPorts.get(host)
      if (other !== undefined) problems.push(`services.${s.name}: host port ${host} is also published by ${other}`)
      hostPorts.set(host, s.name)
      // Ports are documented in the file's comments.
      if (!text.split('\n').some((l) => l.trimStart().startsWith('#') && new RegExp(`\\b${host}\\b`).test(l))) {
        problems.push(`services.${s.name}: host port ${host} is not documented in a comment`)
      }
    }
  }

  // --- the app's services: gateway(s) and simulator -----------------------
  const roleOf = (s: ComposeService): 'gateway' | 'simulator' | undefined =>
    s.command?.join(' ') === dockerfile.cmd?.join(' ') ? 'gateway' : /simulator\/main\.js$/.test(s.command?.at(-1) ?? '') ? 'simulator' : undefined
  const images = new Set<string>()
  for (const s of services.values()) {
    if (!s.built) continue
    images.add(JSON.stringify([s.raw.image, s.raw.build]))
    const where = `services.${s.name}`
    if (s.command !== undefined) problems.push(...nodeCommandProblems(s.command, `${where} command`))
    // The effective environment: the image's ENV, then the service's.
    const env = { ...Object.fromEntries(dockerfile.env), ...s.env }
    problems.push(...configProblems(withServiceHosts(env, services), `${where} environment`))
    const role = roleOf(s)
    if (role === undefined) problems.push(`${where}: runs neither the gateway (${dockerfile.cmd?.join(' ') ?? '?'}) nor the simulator`)
    if (role === 'gateway') problems.push(...gatewayProblems(s, env, services))
    if (role === 'simulator') {
      const port = Number(env.SIM_PORT ?? configDefault('SIM_PORT'))
      for (const p of s.ports) if (p.container !== port) problems.push(`${where}: publishes container port ${p.container}, the simulator listens on ${port}`)
      if (s.healthcheck === undefined || !s.healthcheck.join(' ').includes('SIM_PORT')) problems.push(`${where}: healthcheck does not probe SIM_PORT (the image's HEALTHCHECK is the gateway's)`)
    }
  }
  if (images.size > 1) problems.push('docker-compose.yml: the gateway and the simulator should share one image definition')

  // --- what the issue asks for ---------------------------------------------
  const byDefault = [...services.values()].filter((s) => s.profiles.length === 0)
  const gateways = byDefault.filter((s) => roleOf(s) === 'gateway')
  if (services.get('gateway') === undefined || roleOf(services.get('gateway') as ComposeService) !== 'gateway') problems.push('docker-compose.yml: no service "gateway" running the gateway')
  if (services.get('simulator') === undefined || roleOf(services.get('simulator') as ComposeService) !== 'simulator') problems.push('docker-compose.yml: no service "simulator" running the simulator')
  const redis = services.get('redis')
  if (redis === undefined || !/^redis:7-alpine$/.test(String(redis.raw.image))) problems.push('docker-compose.yml: no service "redis" with image redis:7-alpine')
  else if (redis.healthcheck?.join(' ') !== 'redis-cli ping') problems.push('services.redis: healthcheck should be redis-cli ping')
  // Without a password, and its port taken on a host that runs its own Redis for the tests.
  if (redis !== undefined) for (const p of redis.ports) problems.push(`services.redis: publishes host port ${p.host}: keep the unauthenticated Redis on the compose network`)
  if (gateways.length !== 1) problems.push(`docker-compose.yml: ${gateways.length} gateways run without a profile; expected 1`)
  for (const s of byDefault) if (roleOf(s) === undefined && s !== redis) problems.push(`services.${s.name}: not one of gateway, simulator, redis`)
  const replicas = [...services.values()].filter((s) => s.profiles.includes('replicas') && roleOf(s) === 'gateway')
  if (replicas.length === 0) problems.push('docker-compose.yml: profile "replicas" adds no second gateway')
  return { problems, facts: { services } }
}

/** What a gateway service must get right: upstream, Redis, reachability. */
function gatewayProblems (s: ComposeService, env: Record<string, string>, services: Map<string, ComposeService>): string[] {
  const where = `services.${s.name}`
  const problems: string[] = []
  if (env.HOST !== '0.0.0.0') problems.push(`${where}: HOST is ${env.HOST ?? 'unset'}; the gateway must listen on 0.0.0.0 in a container`)
  const port = Number(env.PORT ?? configDefault('PORT'))
  if (s.ports.length === 0) problems.push(`${where}: publishes no port`)
  for (const p of s.ports) if (p.container !== port) problems.push(`${where}: publishes container port ${p.container}, the gateway listens on ${port}`)
  if (s.healthcheck === undefined || !s.healthcheck.join(' ').includes('/healthz')) problems.push(`${where}: healthcheck does not probe /healthz`)
  // docker stop sends SIGKILL after stop_grace_period (Compose default 10s): it
  // must outlast the gateway's own shutdown (drain delay + grace period).
  const shutdownMs = ['SHUTDOWN_DELAY_MS', 'SHUTDOWN_GRACE_MS']
    .reduce((sum, k) => sum + Number(env[k] ?? configDefault(k) ?? 0), 0)
  const stopMs = durationMs(String(s.raw.stop_grace_period ?? '10s'))
  if (shutdownMs > 0 && !(stopMs > shutdownMs)) {
    problems.push(`${where}: stop_grace_period ${String(s.raw.stop_grace_period ?? '10s (default)')} does not outlast SHUTDOWN_DELAY_MS + SHUTDOWN_GRACE_MS = ${shutdownMs} ms`)
  }

  const upstream = /^([^:]+):(\d+)$/.exec(env.VBASE_UPSTREAM ?? '')
  const sim = upstream !== null ? services.get(upstream[1] as string) : undefined
  if (upstream === null || sim === undefined) problems.push(`${where}: VBASE_UPSTREAM ${env.VBASE_UPSTREAM ?? '(unset)'} does not name a service`)
  else {
    const simPort = Number(sim.env.SIM_PORT ?? configDefault('SIM_PORT'))
    if (Number(upstream[2]) !== simPort) problems.push(`${where}: VBASE_UPSTREAM port ${upstream[2]} is not ${sim.name}'s SIM_PORT ${simPort}`)
    if (s.dependsOn.get(sim.name) !== 'service_healthy') problems.push(`${where}: depends_on ${sim.name} without condition service_healthy`)
    if (env.VBASE_TLS === 'true') problems.push(`${where}: VBASE_TLS=true, but the simulator speaks plaintext`)
  }

  let redisUrl: URL | undefined
  try { redisUrl = new URL(env.CACHE_REDIS_URL ?? '') } catch { redisUrl = undefined }
  const redis = redisUrl !== undefined ? services.get(redisUrl.hostname) : undefined
  if (redisUrl === undefined || redis === undefined) problems.push(`${where}: CACHE_REDIS_URL ${env.CACHE_REDIS_URL ?? '(unset)'} does not name a service`)
  else {
    if (!/^redis:/.test(String(redis.raw.image))) problems.push(`${where}: CACHE_REDIS_URL points at ${redis.name}, which is not a Redis image`)
    if ((redisUrl.port === '' ? 6379 : Number(redisUrl.port)) !== 6379) problems.push(`${where}: CACHE_REDIS_URL port ${redisUrl.port} is not Redis' 6379`)
    if (s.dependsOn.get(redis.name) !== 'service_healthy') problems.push(`${where}: depends_on ${redis.name} without condition service_healthy`)
  }
  return problems
}

/** A Compose duration (`1m30s`, `500ms`) in ms; NaN when it is not one. */
function durationMs (value: string): number {
  if (!DURATION.test(value)) return NaN
  const unit: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
  return [...value.matchAll(/(\d+(?:\.\d+)?)(us|ms|s|m|h)/g)].reduce((sum, m) => sum + Number(m[1]) * (unit[m[2] as string] ?? NaN), 0)
}

/** Service hostnames become 127.0.0.1, so values validate as they would resolve. */
function withServiceHosts (env: Record<string, string>, services: Map<string, ComposeService>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(env)) {
    let value = v
    for (const name of services.keys()) {
      // `host:port` or a URL's authority; not a URL scheme that happens to share the name (redis://).
      value = value.replace(new RegExp(`(^|//)${name.replace(/[.-]/g, '\\$&')}(?=:\\d|/|$)`), '$1127.0.0.1')
    }
    out[k] = value
  }
  return out
}
