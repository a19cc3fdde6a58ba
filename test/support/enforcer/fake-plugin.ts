import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AGENT_API_PREFIX, enforcementApplied, type EnforcementApplied, type EnforcementItem } from '../../../plugin/common/wire.js';

/**
 * The plugin's enforcement API as plugin/common/wire.ts defines it (the contract with P4), served
 * by a small HTTP server so the agent's enforcer can be tested before and apart from the plugin:
 * GET desired (snapshot), GET stream (server-sent events), POST applied (validated by the wire
 * schema; a report that does not match fails the test through `badReports`).
 */
export class FakeEnforcementPlugin {
  readonly items = new Map<number, EnforcementItem>();
  readonly applied: Array<EnforcementApplied['items'][number]> = [];
  readonly badReports: string[] = [];
  snapshotsServed = 0;
  /** Answer every request with this status (e.g. 503: the plugin is down). */
  failWith: number | null = null;
  private readonly streams = new Set<ServerResponse>();
  private server: Server | null = null;
  url = '';

  constructor(readonly token = 'agent-token-0123456789') {}

  async start(port = 0): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const s of this.streams) s.destroy();
    this.streams.clear();
    const closed = new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
    this.server?.closeAllConnections();
    await closed;
  }

  /** Sets a desired state (version + 1 per change, as the plugin does) and tells connected agents. */
  set(serviceId: number, login: string, device: string, desired: EnforcementItem['desired'], rate: string | null = null): EnforcementItem {
    const version = (this.items.get(serviceId)?.version ?? 0) + 1;
    const item: EnforcementItem = { serviceId, login, device, desired, rate, version };
    this.items.set(serviceId, item);
    this.send(item);
    return item;
  }

  send(item: EnforcementItem): void {
    for (const s of this.streams) s.write(`event: desired\ndata: ${JSON.stringify(item)}\n\n`);
  }

  /** Drops every open stream (the plugin restarted, a proxy cut it). */
  cutStreams(): void {
    for (const s of this.streams) s.destroy();
    this.streams.clear();
  }

  get streamCount(): number {
    return this.streams.size;
  }

  lastApplied(serviceId: number): EnforcementApplied['items'][number] | undefined {
    return this.applied.filter((a) => a.serviceId === serviceId).at(-1);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.headers.authorization !== `Bearer ${this.token}`) return void res.writeHead(401).end();
    if (this.failWith) return void res.writeHead(this.failWith).end();
    const path = req.url?.slice(AGENT_API_PREFIX.length + '/enforcement'.length);
    if (req.method === 'GET' && path === '/desired') {
      this.snapshotsServed++;
      const items = [...this.items.values()];
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ version: Math.max(0, ...items.map((i) => i.version)), items }));
    }
    if (req.method === 'GET' && path === '/stream') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
      res.write(': ping\n\n');
      this.streams.add(res);
      res.on('close', () => this.streams.delete(res));
      return;
    }
    if (req.method === 'POST' && path === '/applied') {
      let body = '';
      for await (const c of req) body += String(c);
      const parsed = enforcementApplied.safeParse(JSON.parse(body));
      if (!parsed.success) {
        this.badReports.push(parsed.error.message);
        return void res.writeHead(422).end();
      }
      this.applied.push(...parsed.data.items);
      return void res.writeHead(204).end();
    }
    res.writeHead(404).end();
  }
}

export async function until(cond: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
