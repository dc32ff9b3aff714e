/**
 * HTTP over a raw socket, for requests `inject` and fetch cannot make:
 * repeated or malformed headers, bytes 0x80-0xFF, broken framing.
 */
import net from 'node:net'

/** An answer as read off the socket: status, the head as text, the body. */
export interface RawAnswer { status: number, headers: string, body: string }

/** Send `request` as is on a new connection and read the answer until the server closes it. */
export function raw (port: number, request: string | Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1')
    const chunks: Buffer[] = []
    socket.on('data', (c) => chunks.push(c))
    socket.on('error', reject)
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8')
      const [head = '', body = ''] = text.split('\r\n\r\n', 2)
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), headers: head, body })
    })
    // Not end(): a half-closed connection may be dropped before a slow answer.
    socket.write(request)
  })
}
