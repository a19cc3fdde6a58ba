import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: { id: string; type: string; created: string; data: Record<string, unknown> };
  /** Did the Octet-Signature header verify under the receiver's secret (its own code, from the documented scheme)? */
  signatureValid: boolean;
  timestamp: number;
}

/**
 * A webhook receiver as an integrator would write one from the README: it reads the raw body,
 * splits `Octet-Signature: t=<unix>,v1=<hex>`, computes HMAC-SHA256(secret, `${t}.${body}`) and
 * compares in constant time. It answers the statuses queued in `answers` (then 200).
 */
export class Receiver {
  readonly received: Received[] = [];
  readonly answers: number[] = [];
  secret = '';
  private server: Server | null = null;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const header = String(req.headers['octet-signature'] ?? '');
        const fields = Object.fromEntries(header.split(',').map((kv) => kv.split('=', 2) as [string, string]));
        const timestamp = Number(fields.t);
        const expected = createHmac('sha256', this.secret).update(`${fields.t}.${body}`).digest('hex');
        const given = Buffer.from(fields.v1 ?? '', 'utf8');
        const signatureValid = given.length === expected.length && timingSafeEqual(given, Buffer.from(expected, 'utf8'));
        this.received.push({ headers: req.headers, body, json: JSON.parse(body) as Received['json'], signatureValid, timestamp });
        res.statusCode = this.answers.shift() ?? 200;
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/octet-events`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** A port on which nothing listens (bound, then closed), for a receiver that is down. */
export async function closedPortUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}/hook`;
}
