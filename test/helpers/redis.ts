/**
 * The real Redis for tests, and the policy when it is missing: with CI=true
 * the test fails; otherwise the Redis tests are skipped with a message.
 * Each test gets its own key prefix and deletes only its own keys. A small
 * TCP proxy stands in for a Redis that stops or stalls mid-test, without
 * touching the machine's Redis server.
 */
import { randomUUID } from 'node:crypto'
import net from 'node:net'
import { Redis } from 'ioredis'
import type { Teardownable } from './app.js'

/** Host and port of the test Redis (TEST_REDIS_URL overrides, without a database index). */
export const TEST_REDIS = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379'

/** What a test file's Redis tests receive: `{ skip }` for `t.test(name, options, fn)`. */
export interface RedisGate { skip: string | false }

/** A tap test that can fail a check. */
interface Failable extends Teardownable { fail (message: string): void }

async function reachable (url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, connectTimeout: 1000, retryStrategy: () => null })
  probe.on('error', () => {})
  try {
    await probe.connect()
    return await probe.ping() === 'PONG'
  } catch {
    return false
  } finally {
    probe.disconnect()
  }
}

/** Probe Redis once per file. Under CI=true a missing Redis fails `t`; otherwise the gate skips. */
export async function redisGate (t: Failable, url = TEST_REDIS, ci = process.env.CI === 'true'): Promise<RedisGate> {
  if (await reachable(url)) return { skip: false }
  const message = `no Redis at ${url}: start one (redis-server) to run the Redis cache tests`
  if (ci) {
    t.fail(`${message}; with CI=true a missing Redis is a failure, not a skip`)
    return { skip: 'failed above: Redis required with CI=true' }
  }
  return { skip: message }
}

/** One test's slice of Redis: a database index, a unique prefix and a client on that database. */
export interface TestRedis {
  /** CACHE_REDIS_URL for the app, with the database index. */
  url: string
  /** CACHE_REDIS_PREFIX, unique to this test. */
  prefix: string
  db: number
  /** A client on the same database, for inspecting keys. */
  client: Redis
  /** This test's keys. */
  keys (): Promise<string[]>
}

/** Claim a unique prefix in database `db`; its keys are deleted at teardown. */
export async function useRedis (t: Teardownable, db: number): Promise<TestRedis> {
  const prefix = `vbgw-test:${randomUUID().slice(0, 8)}:`
  const client = new Redis(`${TEST_REDIS}/${db}`)
  const keys = async (): Promise<string[]> => {
    const found: string[] = []
    let cursor = '0'
    do {
      const [next, batch] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
      cursor = next
      found.push(...batch)
    } while (cursor !== '0')
    return found
  }
  t.teardown(async () => {
    const mine = await keys()
    if (mine.length > 0) await client.del(...mine)
    await client.quit()
  })
  return { url: `${TEST_REDIS}/${db}`, prefix, db, client, keys }
}

/** A TCP proxy in front of Redis that a test can stop, restart and stall. */
export interface RedisProxy {
  /** `redis://127.0.0.1:<port>/<db>`. */
  url (db: number): string
  /** Refuse connections and drop the open ones, like a Redis that went down. */
  stop (): Promise<void>
  /** Accept connections again, on the same port. */
  start (): Promise<void>
  /** Hold every byte from now on without closing anything, like a Redis that hangs; `false` delivers them and resumes. */
  stall (on: boolean): void
}

/** Start a proxy to the test Redis; closed at teardown. */
export async function startRedisProxy (t: Teardownable): Promise<RedisProxy> {
  const target = new URL(TEST_REDIS)
  const sockets = new Set<net.Socket>()
  let stalled = false
  // Held bytes are delivered in order on resume, never dropped: dropping
  // would desynchronize the client's reply queue, which no real Redis does.
  const held: Array<() => void> = []
  let port = 0
  let server: net.Server | undefined

  const pipe = (from: net.Socket, to: net.Socket): void => {
    from.on('data', (chunk) => {
      if (stalled) held.push(() => to.write(chunk))
      else to.write(chunk)
    })
    from.on('close', () => to.destroy())
    from.on('error', () => to.destroy())
  }
  const listen = async (): Promise<void> => {
    const s = net.createServer((client) => {
      const upstream = net.connect(Number(target.port || 6379), target.hostname)
      sockets.add(client).add(upstream)
      client.on('close', () => sockets.delete(client))
      upstream.on('close', () => sockets.delete(upstream))
      pipe(client, upstream)
      pipe(upstream, client)
    })
    await new Promise<void>((resolve, reject) => { s.once('error', reject); s.listen(port, '127.0.0.1', () => resolve()) })
    port = (s.address() as net.AddressInfo).port
    server = s
  }
  const stop = async (): Promise<void> => {
    const s = server
    server = undefined
    for (const sock of sockets) sock.destroy()
    sockets.clear()
    if (s !== undefined) await new Promise<void>((resolve) => s.close(() => resolve()))
  }

  await listen()
  t.teardown(stop)
  return {
    url: (db) => `redis://127.0.0.1:${port}/${db}`,
    stop,
    start: listen,
    stall (on) {
      stalled = on
      if (!on) for (const write of held.splice(0)) write()
    }
  }
}
