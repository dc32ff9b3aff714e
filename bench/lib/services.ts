/**
 * What the bench needs from the machine besides its own processes: a free
 * loopback port, and its own Redis database, flushed.
 */
import net from 'node:net'
import { Redis } from 'ioredis'

/** A loopback port free right now. */
export async function freePort (): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve, reject) => { server.once('error', reject); server.listen(0, '127.0.0.1', resolve) })
  const { port } = server.address() as net.AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

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
