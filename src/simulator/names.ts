/**
 * Made-up but stable facts about backups: generated names and artifact sizes.
 */
import { createHash, randomBytes } from 'node:crypto'

/** `yyyymmddhhmmss` in UTC. */
export function utcStamp (ms: number): string {
  return new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)
}

/** The name a backup gets when the request omits `backup_name`: `backup-<yyyymmddhhmmss>-<4 hex>`. */
export function generatedBackupName (ms: number): string {
  return `backup-${utcStamp(ms)}-${randomBytes(2).toString('hex')}`
}

/** The name of a backup a policy made: `<first 8 chars of the policy id>-<yyyymmddhhmmss>`. */
export function policyBackupName (policyId: string, ms: number): string {
  return `${policyId.slice(0, 8)}-${utcStamp(ms)}`
}

/**
 * First of `base`, `base-2`, `base-3`... that `taken` says is free: a
 * generated name must not collide with a user's or another generated one.
 */
export function freeName (base: string, taken: (name: string) => boolean): string {
  let name = base
  for (let i = 2; taken(name); i++) name = `${base}-${i}`
  return name
}

const MiB = 1024 * 1024

/**
 * A plausible artifact size, the same for the same backup every run:
 * 1 MiB plus up to about 2 GiB, from a hash of what was backed up.
 */
export function simulatedSize (serviceId: string, dbName: string, name: string, collections: readonly string[]): number {
  const digest = createHash('sha256').update(JSON.stringify([serviceId, dbName, name, collections])).digest()
  return MiB + digest.readUInt32BE(0) % (2048 * MiB)
}
