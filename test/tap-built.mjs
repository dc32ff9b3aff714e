/**
 * npm test's first step: exit 0 when tap's runner is already built with the
 * plugins package.json sets, 1 otherwise (`pretest` then runs `tap build`).
 * An explicit build is needed once after `npm ci`: tap otherwise rebuilds
 * inside the run, which then took 226-239 s against 157 s. Building every
 * time cost 8 s of each `npm test`; this check costs 0.5 s. Any failure to
 * tell (tap's internals moved in an upgrade) answers "not built".
 */
import process from 'node:process'

try {
  const [{ TapConfig }, { signature }] = await Promise.all([import('@tapjs/config'), import('@tapjs/test')])
  process.exitCode = (await TapConfig.load()).pluginSignature === signature ? 0 : 1
} catch {
  process.exitCode = 1
}
