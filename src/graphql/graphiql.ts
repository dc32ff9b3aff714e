/**
 * GraphiQL at /graphiql, self-hosted. mercurius' own page loads React and
 * GraphiQL from unpkg.com: it breaks on a machine without internet access,
 * and a Content-Security-Policy would have to trust a third-party script
 * origin. This page is the same GraphiQL 3 on React 18, served by the
 * gateway from the npm packages' browser bundles, with no inline script
 * (the CSP allows scripts from 'self' only): the page, a few files of its
 * own and an explicit list of vendor files, never a whole package directory.
 *
 * The page talks to /graphql with `Content-Type: application/json`, so CSRF
 * prevention lets it through, and opens the Headers tab with an
 * Authorization entry to fill in. Headers are not persisted in the browser's
 * storage: a bearer token should not outlive the tab. `shouldPersistHeaders`
 * covers the tabs only; the history (and favorites) keep each query's
 * headers too, so those are kept whole in sessionStorage, for the tab, and
 * in localStorage with their headers nulled.
 */
import { createRequire } from 'node:module'
import path from 'node:path'
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsync } from 'fastify'
import { errors } from '../errors.js'
import { servesPages } from '../http/security.js'

/** Options of the GraphiQL page. */
export interface GraphiqlOptions {
  /** Path of the GraphQL endpoint the page talks to. */
  endpoint: string
}

const require = createRequire(import.meta.url)

/** A file of an installed package, by package name and path inside it. */
function packageFile (pkg: string, file: string): string {
  return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file)
}

/**
 * Vendor files under /graphiql/, by URL name. The versions are those of
 * package-lock.json (graphiql 3 is the last line with a UMD bundle; it
 * needs React 16-18, whose UMD builds React 19 dropped).
 */
export const GRAPHIQL_VENDOR_FILES: Readonly<Record<string, string>> = {
  'react.production.min.js': packageFile('react', 'umd/react.production.min.js'),
  'react-dom.production.min.js': packageFile('react-dom', 'umd/react-dom.production.min.js'),
  'graphiql.min.js': packageFile('graphiql', 'graphiql.min.js'),
  'graphiql.min.css': packageFile('graphiql', 'graphiql.min.css')
}

// Relative URLs (`graphiql/x` from `/graphiql`), as mercurius' page has them,
// so the page also works behind a proxy that mounts the gateway under a prefix.
const PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>GraphiQL · vbase-gateway</title>
  <meta name="robots" content="noindex">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="stylesheet" href="graphiql/graphiql.min.css">
  <link rel="stylesheet" href="graphiql/page.css">
  <link rel="icon" href="data:,">
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="graphiql/react.production.min.js"></script>
  <script src="graphiql/react-dom.production.min.js"></script>
  <script src="graphiql/graphiql.min.js"></script>
  <script src="graphiql/config.js"></script>
  <script src="graphiql/main.js"></script>
</body>
</html>
`

const PAGE_CSS = `html, body { height: 100%; margin: 0; }
#graphiql { height: 100vh; }
`

// Runs in the browser, after React, ReactDOM, GraphiQL and config.js.
const MAIN_JS = `/* global React, ReactDOM, GraphiQL */
'use strict'
;(function () {
  var url = new URL(window.GRAPHQL_ENDPOINT, window.location.href).toString()
  // History entries carry the headers they ran with: whole for this tab, without headers for later.
  var HISTORY = /^graphiql:(queries|favorites)$/
  function withoutHeaders (value) {
    try {
      return JSON.stringify(JSON.parse(value), function (key, v) { return key === 'headers' ? null : v })
    } catch (e) {
      return null
    }
  }
  function ownKeys () {
    return Object.keys(localStorage).filter(function (key) { return key.indexOf('graphiql:') === 0 })
  }
  var storage = {
    getItem: function (key) {
      return (HISTORY.test(key) && sessionStorage.getItem(key)) || localStorage.getItem(key)
    },
    setItem: function (key, value) {
      if (!HISTORY.test(key)) return localStorage.setItem(key, value)
      sessionStorage.setItem(key, value)
      var kept = withoutHeaders(value)
      if (kept === null) localStorage.removeItem(key)
      else localStorage.setItem(key, kept)
    },
    removeItem: function (key) {
      sessionStorage.removeItem(key)
      localStorage.removeItem(key)
    },
    get length () { return ownKeys().length },
    clear: function () {
      ownKeys().forEach(function (key) { localStorage.removeItem(key) })
      Object.keys(sessionStorage).forEach(function (key) { if (HISTORY.test(key)) sessionStorage.removeItem(key) })
    }
  }
  var root = ReactDOM.createRoot(document.getElementById('graphiql'))
  root.render(React.createElement(GraphiQL, {
    fetcher: GraphiQL.createFetcher({ url: url }),
    defaultEditorToolsVisibility: 'headers',
    defaultHeaders: JSON.stringify({ Authorization: 'Bearer ' }, null, 2),
    shouldPersistHeaders: false,
    storage: storage
  }))
})()
`

const JS = 'application/javascript; charset=utf-8'

/** Serve the page and its assets; registered inside the GraphQL surface. */
export const graphiql: FastifyPluginAsync<GraphiqlOptions> = async function graphiql (fastify, opts) {
  servesPages(fastify)
  // sendFile only (serve: false): every URL below is an explicit route.
  await fastify.register(fastifyStatic, { root: [...new Set(Object.values(GRAPHIQL_VENDOR_FILES).map((f) => path.dirname(f)))], serve: false })
  if (!/^\/[\w/-]*$/.test(opts.endpoint)) throw new errors.InvalidConfig(`GraphiQL endpoint must be a plain path, not ${opts.endpoint}`)
  const config = `window.GRAPHQL_ENDPOINT = '${opts.endpoint}'\n`

  // Quiet: one page load is nine requests.
  const quiet = { logLevel: 'warn' } as const
  fastify.get('/graphiql', quiet, async (_request, reply) => reply.type('text/html; charset=utf-8').send(PAGE))
  // The page's assets are relative to /graphiql: with the slash they would be looked for under /graphiql/graphiql/.
  fastify.get('/graphiql/', quiet, async (request, reply) => {
    // A shared link's query string (GraphiQL's own ?query=...) comes along; the path is always the page's.
    const at = request.url.indexOf('?')
    return reply.redirect(at === -1 ? '/graphiql' : `/graphiql${request.url.slice(at)}`, 301)
  })
  fastify.get('/graphiql/page.css', quiet, async (_request, reply) => reply.type('text/css; charset=utf-8').send(PAGE_CSS))
  fastify.get('/graphiql/config.js', quiet, async (_request, reply) => reply.type(JS).send(config))
  fastify.get('/graphiql/main.js', quiet, async (_request, reply) => reply.type(JS).send(MAIN_JS))
  for (const [name, file] of Object.entries(GRAPHIQL_VENDOR_FILES)) {
    fastify.get(`/graphiql/${name}`, quiet, (_request, reply) => reply.sendFile(path.basename(file), path.dirname(file)))
  }
}
