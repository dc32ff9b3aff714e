/**
 * Debian's Chromium for the browser tests, driven by playwright-core (no
 * browser is downloaded). With CI=true a missing browser fails the file;
 * elsewhere it is planned away with the command that installs it.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { chromium, type BrowserContext } from 'playwright-core'
import type { Test } from 'tap'

export const CHROMIUM = '/usr/bin/chromium'

/** True when Chromium is there; otherwise the test is failed (CI) or planned away, and false. */
export function chromiumPresent (t: Test): boolean {
  if (existsSync(CHROMIUM)) return true
  if (process.env.CI === 'true') t.fail(`${CHROMIUM} is missing; .ci/run installs Debian's chromium package (apt-get install chromium)`)
  else t.plan(0, `${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium) to run the browser test`)
  return false
}

/**
 * A headless Chromium with a fresh profile, closed and removed at teardown.
 * The background-networking flags keep it from reaching for Google's hosts,
 * which this machine's closed network refuses.
 */
export async function launchChromium (t: Test, viewport?: { width: number, height: number }): Promise<BrowserContext> {
  const profile = mkdtempSync(path.join(os.tmpdir(), 'vbgw-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    ...(viewport === undefined ? {} : { viewport })
  })
  t.teardown(async () => {
    await context.close()
    rmSync(profile, { recursive: true, force: true })
  })
  return context
}
