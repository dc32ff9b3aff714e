import { Cron } from 'croner'
for (const e of ['0 * * * *', '* * * * * *', '@daily', '0 0 * * 7', 'MON * * * *', '0 0 * * MON', '0 0 ? * *', '0 0 * * * ']) {
  try { const c = new Cron(e, { timezone: 'UTC', paused: true, mode: '5-part' }); console.log(JSON.stringify(e), 'ok', c.nextRun(new Date('2026-01-01T00:30:00Z'))?.toISOString()) } catch (err) { console.log(JSON.stringify(e), 'ERR', (err as Error).message) }
}
