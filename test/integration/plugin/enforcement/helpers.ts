import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type express from 'express';
import { AGENT_API_PREFIX, type AgentStatusReport, type EnforcementItem } from '../../../../plugin/common/wire.js';
import type { TestPlugin } from '../../../support/plugin.js';

/** The agent's status report naming its routers (how enforcement knows which services are its). */
export function statusReport(at: Date, devices: string[]): AgentStatusReport {
  return {
    takenAt: at.toISOString(),
    version: '0.1.0',
    spool: { depth: 0, bytes: 0, maxBytes: 1 << 30, lagSeconds: 0 },
    shipping: { lastAckAt: null, lastError: null },
    sources: devices.map((name) => ({ kind: 'router' as const, name, up: true, reason: null, lastSeenAt: at.toISOString(), sessions: 1, errors: 0, completeThrough: null })),
  };
}

export async function serviceOn(plugin: TestPlugin, login: string, nasName: string): Promise<number> {
  const subs = plugin.services.subscribers.subscribers;
  const a = await subs.createAccount({ name: `Customer ${login}`, currency: 'EUR' }, 'user:1');
  const s = await subs.createService(a.id, { login, nasName, startDate: '2026-01-01' }, 'user:1');
  return s.id;
}

export async function listen(app: express.Express): Promise<{ base: string; close(): Promise<void> }> {
  const server = await new Promise<http.Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A real SSE client of GET /enforcement/stream: the `desired` events as they arrive. */
export function openStream(base: string, token: string): Promise<{ items: EnforcementItem[]; comments: string[]; status: number; ended: Promise<void>; next(pred: (i: EnforcementItem) => boolean, timeoutMs: number): Promise<EnforcementItem>; close(): void }> {
  return new Promise((resolve, reject) => {
    const items: EnforcementItem[] = [];
    const comments: string[] = [];
    const waiters: Array<() => void> = [];
    const req = http.get(`${base}${AGENT_API_PREFIX}/enforcement/stream`, { headers: { Authorization: `Bearer ${token}`, Accept: 'text/event-stream' } }, (res) => {
      let buf = '';
      const ended = new Promise<void>((r) => res.on('end', () => r()));
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          if (block.startsWith(':')) comments.push(block.slice(1).trim());
          const data = /^data: (.*)$/m.exec(block);
          if (/^event: desired$/m.test(block) && data) items.push(JSON.parse(data[1]!) as EnforcementItem);
          waiters.splice(0).forEach((w) => w());
        }
      });
      resolve({
        items,
        comments,
        status: res.statusCode ?? 0,
        ended,
        next: (pred, timeoutMs) =>
          new Promise((ok, fail) => {
            const timer = setTimeout(() => fail(new Error(`no matching event within ${timeoutMs} ms; got ${JSON.stringify(items)}`)), timeoutMs);
            const check = () => {
              const hit = items.find(pred);
              if (hit) {
                clearTimeout(timer);
                ok(hit);
              } else waiters.push(check);
            };
            check();
          }),
        close: () => req.destroy(),
      });
    });
    req.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code !== 'ECONNRESET') reject(err);
    });
  });
}
