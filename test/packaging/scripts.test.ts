/**
 * `npm start` and `npm run simulator` end by exec'ing node, so the shell
 * npm runs the script in is replaced by the server: npm forwards SIGTERM to
 * its child, which is then the server itself, and a supervisor that stops
 * `npm start` gets a graceful shutdown. Without exec, SIGTERM ended npm and
 * its shell and left node running, still holding the port (checked by hand:
 * `npm start`, then SIGTERM to npm; with exec the gateway logs "shutting
 * down" and exits).
 */
import t from 'tap'
import { readRepoFile } from './repo.js'

const scripts = (JSON.parse(readRepoFile('package.json')) as { scripts: Record<string, string> }).scripts

for (const name of ['start', 'simulator']) {
  t.test(`npm run ${name} execs its server last`, async (t) => {
    const script = scripts[name] ?? ''
    const last = script.split('&&').at(-1)?.trim() ?? ''
    t.match(last, /^exec node dist\/\S+\.js$/, `"${script}"`)
  })
}
