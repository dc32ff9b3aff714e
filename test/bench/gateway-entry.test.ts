/**
 * The bench's gateway child loads the gateway's modules before any other
 * package, as src/server.ts does. With mercurius loaded first (a static
 * import of the naive schema), the bench's gateway promoted every upstream
 * call past young GCs as if ASYNC_BIND_FIX were off, 16 KB per uncached
 * read, while the production entry promoted 1 KB (bench/RESULTS.md,
 * session 21; the cause in the load order was not found). So the child's
 * only runtime imports before the gateway's are node builtins, through
 * bench/lib/ipc.ts.
 */
import t from 'tap'
import { readRepoFile, STATIC_IMPORT } from '../packaging/repo.js'

/** The specifiers a bench file imports statically at run time (type-only imports are erased). */
function staticImports (file: string): string[] {
  return [...readRepoFile(`bench/${file}`).matchAll(STATIC_IMPORT)].map((m) => m[1] as string)
}

t.test('the gateway child imports only ipc.js before the gateway', async (t) => {
  t.same(staticImports('procs/gateway.ts'), ['../lib/ipc.js'])
})

t.test('ipc.js imports node builtins only', async (t) => {
  const imports = staticImports('lib/ipc.ts')
  t.ok(imports.length > 0)
  t.same(imports.filter((s) => !s.startsWith('node:')), [])
})
