import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BatchAck, InventorySnapshot, ObservationBatch } from '../../../../plugin/common/wire.js';

/** 'lost-answer': the batch is counted but the answer never arrives (the agent times out). */
export type Behaviour = 'ok' | '401' | '500' | 'hang' | 'garbage' | '413' | 'lost-answer';

/**
 * A stand-in for the plugin's agent API, following its contract: POST /api/v1/agent/batches with
 * a bearer token answers 200 with a BatchAck (a repeated batchId: duplicateBatch true, nothing
 * counted), 401 for a bad token; POST /api/v1/agent/inventory answers 204.
 */
export class FakePlugin {
  readonly token = 'agent-token-0123456789';
  /** Behaviours for the next batch requests, consumed in order; then 'ok'. */
  script: Behaviour[] = [];
  inventoryScript: Behaviour[] = [];
  /** Every batch request received, including failed and repeated ones. */
  requests: ObservationBatch[] = [];
  readonly counted = new Map<string, ObservationBatch>();
  readonly recordIds = new Set<string>();
  inventory: InventorySnapshot[] = [];
  acks: BatchAck[] = [];
  private server: Server | undefined;
  private hanging: ServerResponse[] = [];
  onBatch: (() => void) | undefined;

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const r of this.hanging) r.destroy();
    this.server?.closeAllConnections();
    await new Promise<void>((r) => (this.server ? this.server.close(() => r()) : r()));
  }

  get countedRecords(): number {
    return this.recordIds.size;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    if (req.headers.authorization !== `Bearer ${this.token}`) {
      res.writeHead(401).end('{"error":"bad token"}');
      return;
    }
    if (req.url === '/api/v1/agent/inventory') {
      const b = this.inventoryScript.shift() ?? 'ok';
      if (b !== 'ok') return this.misbehave(b, res);
      this.inventory.push(JSON.parse(body) as InventorySnapshot);
      res.writeHead(204).end();
      return;
    }
    if (req.url !== '/api/v1/agent/batches' || req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    const batch = JSON.parse(body) as ObservationBatch;
    this.requests.push(batch);
    const b = this.script.shift() ?? 'ok';
    if (b !== 'ok' && b !== 'lost-answer') {
      this.misbehave(b, res);
      this.onBatch?.();
      return;
    }
    const duplicateBatch = this.counted.has(batch.batchId);
    let accepted = 0;
    let duplicateRecords = 0;
    if (!duplicateBatch) {
      this.counted.set(batch.batchId, batch);
      for (const r of batch.records) {
        if (this.recordIds.has(r.recordId)) duplicateRecords++;
        else {
          this.recordIds.add(r.recordId);
          accepted++;
        }
      }
    }
    const ack: BatchAck = { batchId: batch.batchId, duplicateBatch, accepted, duplicateRecords, rejected: [] };
    this.acks.push(ack);
    if (b === 'lost-answer') {
      this.hanging.push(res);
      this.onBatch?.();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(ack));
    this.onBatch?.();
  }

  private misbehave(b: Behaviour, res: ServerResponse): void {
    if (b === 'hang') this.hanging.push(res);
    else if (b === 'garbage') res.writeHead(200).end('<html>proxy error</html>');
    else res.writeHead(Number(b)).end();
  }
}
