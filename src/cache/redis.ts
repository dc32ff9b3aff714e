/**
 * Redis storage: entries, the invalidation sequence and the reference
 * versions are shared keys, so every gateway replica pointed at the same
 * Redis sees the others' entries and invalidations; nothing is kept in
 * process, so no pub/sub is needed. The version checks run as Lua scripts,
 * atomic on the server.
 */
import { Redis } from 'ioredis'
import { decodeEntry, encodeEntry, type CacheStorage } from './storage.js'

// The sequence only grows while Redis keeps it. Redis restarted empty, a
// FLUSHALL, or a failover to a replica that lags starts it lower, and a read
// stamped before that could store an entry whose stamp is above every
// version later writes set: it would pass every check until its TTL. So an
// entry is stored, and served, only while its stamp is not above the
// sequence; a read in flight across the reset is answered but not stored
// (its joiners ask again, as after any write).

// KEYS[1] entry; ARGV[1] version key prefix, ARGV[2] sequence key. The
// references are listed in the entry's header (after stamp, expiry and etag;
// the `@` word among them is the fetch time, no reference: storage.ts),
// so the version keys are only known inside the script: fine on one Redis
// primary, not on a Cluster.
const GET_CURRENT = `
local v = redis.call('GET', KEYS[1])
if not v then return false end
local nl = string.find(v, '\\n', 1, true)
if not nl then return false end
local seq = tonumber(redis.call('GET', ARGV[2]) or '0')
local i, stamp = 0, 0
for word in string.gmatch(string.sub(v, 1, nl - 1), '%S+') do
  i = i + 1
  if i == 1 then
    stamp = tonumber(word) or 0
    if stamp > seq then return false end
  elseif i > 3 and string.sub(word, 1, 1) ~= '@' and tonumber(redis.call('GET', ARGV[1] .. word) or '0') > stamp then return false end
end
return v`

// KEYS[1] entry, KEYS[2] sequence, KEYS[3..] version keys; ARGV[1] stamp, ARGV[2] ttl ms, ARGV[3] value.
const SET_IF_CURRENT = `
local stamp = tonumber(ARGV[1])
if stamp > tonumber(redis.call('GET', KEYS[2]) or '0') then return 0 end
for i = 3, #KEYS do
  if tonumber(redis.call('GET', KEYS[i]) or '0') > stamp then return 0 end
end
redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[2])
return 1`

// KEYS[1] sequence, KEYS[2..] version keys; ARGV[1] version ttl ms.
const INVALIDATE = `
local s = redis.call('INCR', KEYS[1])
for i = 2, #KEYS do redis.call('SET', KEYS[i], s, 'PX', ARGV[1]) end
return s`

interface ScriptedRedis extends Redis {
  vbgwGet (entryKey: string, versionPrefix: string, sequenceKey: string): Promise<string | null>
  vbgwSet (numKeys: number, ...args: Array<string | number>): Promise<number>
  vbgwInvalidate (numKeys: number, ...args: Array<string | number>): Promise<number>
}

/** Options of the Redis client. */
export interface RedisClientOptions {
  /** `redis://[:password@]host:port[/db]`; the database index is honored. */
  url: string
  /**
   * Per-command timeout; commands fail fast while disconnected instead of
   * queueing. A connection that answers nothing for five times this long
   * (at least a second) while commands wait on it is dropped and made again.
   */
  commandTimeoutMs: number
  /** Connection errors (rate-limit the logging: this fires on every reconnect attempt). */
  onError: (err: Error) => void
}

/** A client tuned to fail fast: the cache is bypassed rather than waited for. */
export function createRedisClient (opts: RedisClientOptions): Redis {
  const client = new Redis(opts.url, {
    commandTimeout: opts.commandTimeoutMs,
    // A command that timed out stays on its connection (replies are matched
    // in order): on a Redis that hangs with the socket open, every timed-out
    // command would wait there, without bound, and run when Redis resumes,
    // long after its caller gave up (a rate-limit INCR counted in a later
    // window). So a connection that stays silent is dropped, with what it
    // queued, and the commands it held are not sent again on the next one:
    // their callers already had their answer, a timeout. As long as the
    // connect timeout (at least a second): timers run before the replies
    // waiting on the socket are read, so an event loop held up past it (a
    // long GC, a loaded host) would drop a healthy connection; and with the
    // callers' bypasses, only a few commands are sent to a silent Redis
    // meanwhile.
    socketTimeout: Math.max(1000, opts.commandTimeoutMs * 5),
    autoResendUnfulfilledCommands: false,
    connectTimeout: Math.max(1000, opts.commandTimeoutMs * 5),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // Keep reconnecting forever with a short cap: the cache comes back on its own.
    // The first try is at once: a connection dropped for its silence may be
    // to a Redis that answers again already, and until the next one is made
    // every command fails.
    retryStrategy: (times) => Math.min((times - 1) * 100, 1000),
    // The ready check is what keeps a connection whose SELECT was refused from being used.
    enableReadyCheck: true
  })
  const db = client.options.db ?? 0
  if (db !== 0) stayInDatabase(client, db)
  client.on('error', opts.onError)
  // ioredis 5.11 leaves the socket timer armed when a connection closes for another reason (a
  // restart, a failover): it would then destroy the next, healthy connection (ioredis#2147, fixed
  // upstream by #2148, not in the version installed here). Its field is private: cleared by name.
  client.on('close', () => {
    const internals = client as unknown as { socketTimeoutTimer?: NodeJS.Timeout }
    clearTimeout(internals.socketTimeoutTimer)
    internals.socketTimeoutTimer = undefined
  })
  return client
}

/**
 * ioredis sends SELECT on every connection when the URL names a database,
 * but when Redis refuses it (an index at or above its `databases`, a managed
 * Redis limited to db 0) it only emits the error and goes on to 'ready' in
 * database 0, where deployments set apart by their index would share entries,
 * invalidations and rate-limit counters. So a connection is ready only once
 * its SELECT succeeded: after a refusal its ready check fails, it is dropped
 * and made again later (`retryStrategy`), as during an outage, and every
 * command meanwhile fails with the refusal, so the outage lines say why. The
 * connector's check and the in-flight `select` are internals of ioredis 5,
 * replaced by name on this client only.
 */
function stayInDatabase (client: Redis, db: number): void {
  type Select = (index: number) => Promise<'OK'>
  const internals = client as unknown as { select: Select, connector: { check (info: unknown): boolean } }
  // Whether the SELECT of the current connection succeeded; reset as each connection sends its own.
  let selected = false
  let refused: Error | undefined
  const select = internals.select.bind(client)
  internals.select = async (index) => {
    selected = false
    try {
      const ok = await select(index)
      selected = index === db
      refused = undefined
      return ok
    } catch (err) {
      // ioredis emits this as the client's 'error': it reaches `onError`.
      // A reply (ReplyError: "ERR DB index is out of range") is a refusal; a timeout or a dropped connection is not.
      const said = (err as Error).name === 'ReplyError' ? 'Redis refused database index' : 'Redis did not select database index'
      refused = new Error(`${said} ${db} (${(err as Error).message}): not using it, nor any other database`)
      throw refused
    }
  }
  // Called with the ready check's INFO, whose reply follows the SELECT's: false drops the connection.
  const connector = internals.connector
  const check = connector.check.bind(connector)
  connector.check = (info) => selected && check(info)
  // While refused, between connections, commands fail with the reason (the
  // handshake of the next connection, status 'connect', goes through).
  const send = client.sendCommand.bind(client)
  client.sendCommand = (command, stream) => {
    if (refused === undefined || client.status === 'connect' || client.status === 'ready') return send(command, stream)
    command.reject(refused)
    return command.promise
  }
}

/** Options of the Redis storage. */
export interface RedisStorageOptions {
  client: Redis
  /** Prefix of every key this storage touches, e.g. `vbgw:`. */
  prefix: string
  /**
   * Lifetime of a reference version. It must outlive every entry stamped
   * before it (entry TTL plus the longest read), or an old entry could pass
   * the check again once the version is gone.
   */
  versionTtlMs: number
}

/** Build a Redis storage over a client the caller owns (and closes). */
export function createRedisStorage (opts: RedisStorageOptions): CacheStorage {
  const client = opts.client as ScriptedRedis
  if (typeof client.vbgwGet !== 'function') {
    client.defineCommand('vbgwGet', { numberOfKeys: 1, lua: GET_CURRENT })
    client.defineCommand('vbgwSet', { lua: SET_IF_CURRENT })
    client.defineCommand('vbgwInvalidate', { lua: INVALIDATE })
  }
  const versionPrefix = `${opts.prefix}v:`
  const sequenceKey = `${opts.prefix}seq`

  return {
    kind: 'redis',
    async sequence () {
      return Number(await client.get(sequenceKey) ?? 0)
    },
    async get (key) {
      const raw = await client.vbgwGet(opts.prefix + key, versionPrefix, sequenceKey)
      return raw === null ? undefined : decodeEntry(raw)
    },
    async set (key, entry, ttlMs) {
      const keys = [opts.prefix + key, sequenceKey, ...entry.refs.map((r) => versionPrefix + r)]
      const ok = await client.vbgwSet(keys.length, ...keys, entry.stamp, Math.max(1, Math.ceil(ttlMs)), encodeEntry(entry))
      return ok === 1 ? 'stored' : 'superseded'
    },
    async invalidate (refs) {
      if (refs.length === 0) return
      const keys = [sequenceKey, ...refs.map((r) => versionPrefix + r)]
      await client.vbgwInvalidate(keys.length, ...keys, opts.versionTtlMs)
    },
    async close () {
      // The client belongs to whoever created it (the upstream plugin).
    }
  }
}

/** Close a client without hanging when Redis is unreachable. */
export async function closeRedisClient (client: Redis, timeoutMs = 1000): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  try {
    await Promise.race([client.quit(), new Promise((resolve) => { timer = setTimeout(resolve, timeoutMs) })])
  } catch {
    // quit fails at once when disconnected (no offline queue): just drop the socket.
  } finally {
    clearTimeout(timer)
    client.disconnect()
  }
}
