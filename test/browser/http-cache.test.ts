/**
 * The browser's own HTTP cache, in a real headless Chromium against the app
 * and the embedded simulator: a REST read is `Cache-Control: private` and
 * fresh for max-age, and the browser keys it on the URL. With
 * `Vary: Authorization` the same page asking the same URL with another
 * token (a logout, then a login as someone else) reaches the gateway and
 * gets its own answer, never the previous caller's list. Same browser as
 * test/browser/ui.test.ts: Debian's chromium driven by playwright-core.
 */
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { DEMO_BACKUPS, DEV_TOKEN } from '../../src/simulator/seed.js'
import { buildTestApp, waitFor } from '../helpers/app.js'
import { chromiumPresent, launchChromium } from '../helpers/chromium.js'

/** A service with no job in progress: its list is fresh for the whole CACHE_TTL_MS, so the browser may reuse it. */
const SERVICE_ID = 'svc-demo-analytics'
const SEEDED = DEMO_BACKUPS.find((b) => b.serviceId === SERVICE_ID)?.name ?? 'analytics-events-001'
const LIST_PATH = `/v1/vbase/${SERVICE_ID}/backup`

/** What the page's fetch saw; `transferSize` 0 is an answer from the browser cache (Resource Timing). */
interface Fetched { status: number, body: string, transferSize: number }

if (chromiumPresent(t)) {
  const { app, logs } = await buildTestApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  /** Reads of the list that reached the gateway, from its access lines. */
  const gatewayReads = (): number => logs.filter((l) => l.includes('"msg":"request completed"') && l.includes(`"url":"${LIST_PATH}"`)).length

  const context = await launchChromium(t)

  t.test("a second caller in the same browser reaches the gateway, not the first caller's cached list", async (t) => {
    const page = await context.newPage()
    t.teardown(() => page.close())
    // A page of the gateway's own origin: the API's answers (JSON) carry a CSP that lets them, as documents, load nothing.
    await page.goto(`${base}/graphiql`)
    // fetch() with the default cache mode: the browser's HTTP cache decides, as in a browser app.
    const read = (token: string): Promise<Fetched> => page.evaluate(async ({ url, token }) => {
      performance.clearResourceTimings()
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
      const body = await res.text()
      const timing = performance.getEntriesByType('resource').at(-1) as { transferSize: number } | undefined
      return { status: res.status, body, transferSize: timing?.transferSize ?? -1 }
    }, { url: LIST_PATH, token })

    const first = await read(DEV_TOKEN)
    t.equal(first.status, 200, 'caller A reads the list')
    t.match(first.body, SEEDED)
    // The access line is written when the answer is out: wait for it rather than race it.
    await waitFor(() => gatewayReads() === 1)

    // The control: the browser does keep the list, so what follows tests the key it is kept under.
    const again = await read(DEV_TOKEN)
    t.equal(again.body, first.body)
    t.equal(again.transferSize, 0, "caller A's second read is answered by the browser cache")
    t.equal(gatewayReads(), 1, 'and never reached the gateway')

    const other = await read('not-a-valid-token-for-anyone')
    t.equal(other.status, 401, 'caller B gets the gateway\'s answer to its own token')
    t.notMatch(other.body, SEEDED, "caller B never sees caller A's list")
    t.not(other.transferSize, 0, 'not from the browser cache')
    await waitFor(() => gatewayReads() === 2)
    t.pass("caller B's read reached the gateway")
  })
}
