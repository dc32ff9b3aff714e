/**
 * What the bench needs from the machine besides its own processes: its own
 * Redis database, flushed.
 */
import { Redis } from 'ioredis'

/** Flush the bench's Redis database; a message when Redis cannot be used. */
export async function flushRedis (url: string): Promise<string | undefined> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 1000, retryStrategy: () => null })
  client.on('error', () => {})
  try {
    await client.connect()
    await client.flushdb()
    return undefined
  } catch (err) {
    return `no Redis at ${url.replace(/\/\/[^@]*@/, '//')} (${(err as Error).message})`
  } finally {
    client.disconnect()
  }
}
