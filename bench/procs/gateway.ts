/**
 * Bench child: the gateway, built exactly as src/server.ts builds it
 * (the validated configuration, its process tuning, buildApp), listening on a loopback
 * port, logging to stdout (dropped by the parent unless --verbose).
 * With `naive`, it also serves the bench's naive GraphQL schema on
 * /naive/graphql (bench/lib/naive-graphql.ts) for scenario C's comparison.
 *
 * argv: <code root: dist|src> <upstream host:port> <environment as JSON> [naive]
 */
import type * as AppModule from '../../src/app.js'
import type * as ConfigModule from '../../src/config.js'
import type * as LoggerModule from '../../src/logger.js'
import type * as TuningModule from '../../src/ops/process-tuning.js'
import { importGateway, ownUsage, serveParent, type CodeRoot } from '../lib/ipc.js'

const [rootArg, upstream, envJson, naive] = process.argv.slice(2)
const root = (rootArg ?? 'dist') as CodeRoot
if (upstream === undefined || envJson === undefined) throw new Error('usage: gateway.ts <root> <upstream> <env-json> [naive]')

const { buildApp } = await importGateway<typeof AppModule>(root, 'app.js')
const { loadConfig } = await importGateway<typeof ConfigModule>(root, 'config.js')
const { createLogger } = await importGateway<typeof LoggerModule>(root, 'logger.js')
const { tuneProcess } = await importGateway<typeof TuningModule>(root, 'ops/process-tuning.js')

// An explicit environment: nothing from the shell or a .env file leaks into the numbers.
const config = loadConfig(JSON.parse(envJson) as Record<string, string>)
const { bindFixed } = tuneProcess(config)
const logger = createLogger(config, undefined, false)
const app = await buildApp({ config, upstream, logger })
// Imported only here, once the gateway's own modules are loaded: with mercurius
// loaded first (this module's static import of it), the gateway promoted every
// upstream call past young GCs, 16 KB per uncached read, as if ASYNC_BIND_FIX were
// off, where src/server.ts, loading the gateway's modules first, promotes 1 KB
// (bench/RESULTS.md, session 21; the cause in the load order was not found).
if (naive === 'naive') await (await import('../lib/naive-graphql.js')).registerNaiveGraphql(app, root)
await app.listen({ host: '127.0.0.1', port: 0 })
const address = app.server.address()
const port = typeof address === 'object' && address !== null ? address.port : 0

serveParent({ port, execArgv: process.execArgv, bindFixed }, {
  usage: () => ownUsage(),
  gc: () => { globalThis.gc?.(); return ownUsage() }
}, async () => { await app.close() })
