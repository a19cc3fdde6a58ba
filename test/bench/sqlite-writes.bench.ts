/**
 * Parallel writes on the embedded SQLite database: REST clients creating accounts with a service
 * each, over HTTP against `octet serve`'s app on a SQLite file, while a second process's writer
 * (standing for a CLI command) takes the write lock every 200 ms for 50 ms.
 *
 *   npx tsx test/bench/sqlite-writes.bench.ts [--clients 4] [--services 400]
 *
 * Prints services created per second, the status codes seen (a 500 is a defect; a 503 carries
 * Retry-After and the client retries it) and one JSON line.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sqlite3 from 'sqlite3';
import { ManualClock } from '../../plugin/common/clock.js';
import { nullLogger } from '../../plugin/common/logger.js';
import { pluginConfigSchema } from '../../plugin/config.js';
import { startPlugin } from '../../plugin/main.js';

const { values } = parseArgs({ options: { clients: { type: 'string', default: '4' }, services: { type: 'string', default: '400' } } });
const CLIENTS = Number(values.clients);
const SERVICES = Number(values.services);

const dir = mkdtempSync(join(tmpdir(), 'octet-sqlite-bench-'));
const file = join(dir, 'octet.db');
const config = pluginConfigSchema.parse({ db: { url: `sqlite:${file}` }, http: { host: '127.0.0.1', port: 0 } });
const plugin = await startPlugin(config, { logger: nullLogger, clock: new ManualClock('2026-04-01T00:00:00Z') });
const other = new sqlite3.Database(file);
const exec = (sql: string) => new Promise<void>((resolve, reject) => other.exec(sql, (err) => (err ? reject(err) : resolve())));
other.configure('busyTimeout', 10_000);
let stop = false;
const cli = (async () => {
  for (let i = 0; !stop; i++) {
    await exec(`BEGIN IMMEDIATE; INSERT OR REPLACE INTO settings (key, value, updated_at) VALUES ('bench.cli', '${i}', '2026-04-01 00:00:00.000 +00:00')`);
    await new Promise((r) => setTimeout(r, 50));
    await exec('COMMIT');
    await new Promise((r) => setTimeout(r, 150));
  }
})();
try {
  const { token } = await plugin.ctx.services.auth.createApiToken({ name: 'bench', role: 'billing' }, 'bench');
  const statuses = new Map<number, number>();
  const post = async (path: string, body: object): Promise<{ status: number; body: { id?: number } }> => {
    for (;;) {
      const res = await fetch(`${plugin.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const json = (await res.json()) as { id?: number };
      if (res.status !== 503) return { status: res.status, body: json };
      await new Promise((r) => setTimeout(r, Number(res.headers.get('retry-after') ?? '1') * 1000));
    }
  };
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      for (let n = next++; n < SERVICES; n = next++) {
        const account = await post('/api/v1/accounts', { name: `Bench customer ${n}` });
        if (account.status === 201) await post(`/api/v1/accounts/${account.body.id}/services`, { login: `bench-${n}` });
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const perSecond = SERVICES / seconds;
  const codes = Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0]));
  process.stdout.write(`${SERVICES} services by ${CLIENTS} parallel clients in ${seconds.toFixed(1)} s: ${perSecond.toFixed(1)} services/s; statuses ${JSON.stringify(codes)}\n`);
  process.stdout.write(JSON.stringify({ clients: CLIENTS, services: SERVICES, seconds: Number(seconds.toFixed(2)), servicesPerSecond: Number(perSecond.toFixed(1)), statuses: codes, errors500: statuses.get(500) ?? 0 }) + '\n');
} finally {
  stop = true;
  await cli;
  await new Promise<void>((r) => other.close(() => r()));
  await plugin.close();
  rmSync(dir, { recursive: true, force: true });
}
