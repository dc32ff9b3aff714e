/**
 * GraphiQL and Swagger UI in a real headless Chromium, against the app and
 * the embedded simulator: both pages load everything they need from the
 * gateway itself, work under its security headers and CSP, and reach the
 * seeded data with the dev token. Uses Debian's chromium (`.ci/run` installs
 * it) driven by playwright-core; no browser is downloaded. Screenshots go to
 * test-artifacts/.
 */
import { mkdirSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import type { BrowserContext, Page, Response } from 'playwright-core'
import t, { type Test } from 'tap'
import { DEMO_BACKUPS, DEMO_SERVICE_IDS, DEV_TOKEN } from '../../src/simulator/seed.js'
import { ROOT_DIR } from '../../src/upstream/contract.js'
import { buildTestApp } from '../helpers/app.js'
import { chromiumPresent, launchChromium } from '../helpers/chromium.js'

const ARTIFACTS = path.join(ROOT_DIR, 'test-artifacts')
const SERVICE_ID = DEMO_SERVICE_IDS[0]
/** A seeded, finished backup of SERVICE_ID: what both pages must show. */
const SEEDED = DEMO_BACKUPS.find((b) => b.serviceId === SERVICE_ID && b.status === 'COMPLETED')?.name ?? 'catalog-nightly-001'
const STEP_TIMEOUT_MS = 10_000

/** What went wrong in the page: CSP violations, console errors, failed requests, uncaught errors. */
function watch (page: Page): string[] {
  const issues: string[] = []
  // The browser's own favicon probe is not the page's doing: a 404 there is no defect.
  const favicon = (url: string): boolean => new URL(url, 'http://x').pathname === '/favicon.ico'
  page.on('console', (msg) => {
    if (favicon(msg.location().url)) return
    if (msg.type() === 'error' || /Content[- ]Security[- ]Policy|Refused to/i.test(msg.text())) issues.push(`console ${msg.type()}: ${msg.text()}`)
  })
  page.on('pageerror', (err) => { issues.push(`uncaught: ${err.message}`) })
  page.on('requestfailed', (req) => { issues.push(`request failed: ${req.method()} ${req.url()} (${req.failure()?.errorText ?? '?'})`) })
  page.on('response', (res) => {
    if (res.status() >= 400 && !favicon(res.url())) issues.push(`HTTP ${res.status()}: ${res.request().method()} ${res.url()}`)
  })
  return issues
}

async function screenshot (page: Page, name: string): Promise<string> {
  const file = path.join(ARTIFACTS, `${name}.png`)
  await page.screenshot({ path: file, fullPage: false })
  return file
}

/** Run a page scenario; on failure keep a screenshot of where it stopped. */
async function scenario (t: Test, context: BrowserContext, name: string, fn: (page: Page) => Promise<void>): Promise<void> {
  const page = await context.newPage()
  page.setDefaultTimeout(STEP_TIMEOUT_MS)
  const issues = watch(page)
  try {
    await fn(page)
    t.comment(`screenshot: ${path.relative(ROOT_DIR, await screenshot(page, name))}`)
  } catch (err) {
    await screenshot(page, `${name}-failure`).catch(() => undefined)
    throw err
  } finally {
    t.same(issues, [], `${name}: no CSP violation, console error or failed request`)
    await page.close()
  }
}

/** The page came with the gateway's CSP: what this test proves is that the pages work under it. */
async function expectCsp (t: Test, response: Response | null): Promise<void> {
  const csp = await response?.headerValue('content-security-policy')
  t.match(csp, /script-src 'self'/, `${response?.url() ?? 'the page'} is served with a Content-Security-Policy`)
}

if (chromiumPresent(t)) {
  mkdirSync(ARTIFACTS, { recursive: true })
  const { app } = await buildTestApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`

  const context = await launchChromium(t, { width: 1280, height: 900 })
  // Every CSP violation reaches the console, whatever the browser's own wording.
  await context.addInitScript({
    content: "document.addEventListener('securitypolicyviolation', (e) => console.error('CSP violation: ' + e.violatedDirective + ' blocked ' + (e.blockedURI || '(inline)')))"
  })
  t.comment(`chromium ${context.browser()?.version() ?? '(version unknown)'}`)

  t.test('the watch sees a CSP violation (so its silence above means something)', async (t) => {
    const page = await context.newPage()
    const issues = watch(page)
    await page.goto(`${base}/healthz`)
    // An inline script, which script-src 'self' forbids.
    await page.evaluate("const s = document.createElement('script'); s.textContent = 'window.inlineRan = true'; document.head.appendChild(s)")
    await page.waitForFunction('true')
    t.equal(await page.evaluate('window.inlineRan === true'), false, 'the inline script did not run')
    t.match(issues.join('\n'), /CSP violation: script-src/, 'the violation was reported')
    await page.close()
  })

  t.test('GraphiQL: set the Authorization header, query the seeded backups', async (t) => {
    await scenario(t, context, 'graphiql', async (page) => {
      await expectCsp(t, await page.goto(`${base}/graphiql`))
      const queryEditor = page.locator('.graphiql-query-editor .CodeMirror').first()
      await queryEditor.waitFor()

      // Headers tab (bottom panel): the bearer token, as the README tells a newcomer.
      await page.getByRole('button', { name: /^headers$/i }).click()
      const headersEditor = page.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror').first()
      await headersEditor.click()
      await page.keyboard.press('ControlOrMeta+A')
      await page.keyboard.insertText(JSON.stringify({ Authorization: `Bearer ${DEV_TOKEN}` }))

      await queryEditor.click()
      await page.keyboard.press('ControlOrMeta+A')
      await page.keyboard.insertText(`query SeededBackups {\n  service(id: "${SERVICE_ID}") {\n    backups { totalCount nodes { name status } }\n  }\n}\n`)

      const answered = page.waitForResponse((r) => r.url().endsWith('/graphql') && r.request().method() === 'POST' && (r.request().postData() ?? '').includes('SeededBackups'))
      await page.locator('.graphiql-execute-button').click()
      const response = await answered
      t.equal(response.request().headers().authorization, `Bearer ${DEV_TOKEN}`, 'GraphiQL sent the header')
      t.equal(response.status(), 200)
      const result = page.locator('.graphiql-response')
      await result.getByText(SEEDED).first().waitFor()
      t.match(await result.innerText(), SEEDED, `the result pane shows ${SEEDED}`)
      t.notMatch(await result.innerText(), /"errors"/, 'no errors in the result')

      // The history keeps the query. The token stays with the tab (sessionStorage), never in localStorage.
      await page.waitForFunction("(localStorage.getItem('graphiql:queries') || '').includes('SeededBackups')")
      const stored = await page.evaluate("({ local: Object.keys(localStorage).map((k) => k + '=' + localStorage.getItem(k)).join('\\n'), session: sessionStorage.getItem('graphiql:queries') || '' })") as { local: string, session: string }
      t.notMatch(stored.local, DEV_TOKEN, 'no bearer token anywhere in localStorage, which outlives the tab')
      t.match(JSON.parse(stored.local.split('\n').find((l) => l.startsWith('graphiql:queries='))?.slice('graphiql:queries='.length) ?? '{}'),
        { queries: [{ query: /SeededBackups/, headers: null }] }, 'the history entry is kept there without its headers')
      t.match(stored.session, DEV_TOKEN, 'for this tab, the entry keeps its headers')

      // A later tab (a new page: its own sessionStorage) lists the query, and restores it without a token.
      const later = await context.newPage()
      await later.goto(`${base}/graphiql`)
      await later.getByRole('button', { name: /show history/i }).click()
      await later.getByText('SeededBackups').first().click()
      const laterHeaders = later.locator('.graphiql-editor-tool .graphiql-editor:not(.hidden) .CodeMirror').first()
      await later.getByRole('button', { name: /^headers$/i }).click()
      t.notMatch(await laterHeaders.innerText(), DEV_TOKEN, 'the entry brings back no token in a later tab')
      await later.close()
    })
  })

  t.test('Swagger UI: authorize with the bearer token, try ListBackups', async (t) => {
    await scenario(t, context, 'swagger-ui', async (page) => {
      await expectCsp(t, await page.goto(`${base}/docs`))
      await page.locator('.swagger-ui .info .title').waitFor()

      await page.locator('.swagger-ui .auth-wrapper button.authorize').click()
      const modal = page.locator('.swagger-ui .modal-ux')
      await modal.locator('input').first().fill(DEV_TOKEN)
      await modal.locator('.auth-btn-wrapper button.authorize').click()
      await modal.locator('button.btn-done').click()

      const op = page.locator('.opblock[id$="-ListBackups"]')
      await op.locator('.opblock-summary').first().click()
      await op.getByRole('button', { name: /try it out/i }).click()
      await op.locator('input[placeholder="service_id"]').fill(SERVICE_ID)
      const answered = page.waitForResponse((r) => r.url().endsWith(`/v1/vbase/${SERVICE_ID}/backup`) && r.request().method() === 'GET')
      await op.locator('button.execute').click()
      const response = await answered
      t.equal(response.request().headers().authorization, `Bearer ${DEV_TOKEN}`, 'Swagger UI sent the token')
      t.equal(response.status(), 200)

      const live = op.locator('.live-responses-table')
      const status = live.locator('tr.response .response-col_status').first()
      await status.waitFor()
      t.equal((await status.innerText()).trim(), '200', 'the page shows 200')
      await live.getByText(SEEDED).first().waitFor()
      t.match(await live.innerText(), SEEDED, `the response body shows ${SEEDED}`)
      await op.locator('.live-responses-table').scrollIntoViewIfNeeded()
    })
  })
}
