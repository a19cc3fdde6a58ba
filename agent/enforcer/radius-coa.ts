import { createSocket, type Socket } from 'node:dgram';
import { createRequire } from 'node:module';
import { isIPv6 } from 'node:net';
import { createRadiusCodec } from '../radius/codec.js';

/**
 * RFC 5176 Dynamic Authorization client: Disconnect-Request (40) and CoA-Request (43) to a NAS,
 * answered by ACK (41/44) or NAK (42/45). Packets are built by the `radius` package the agent
 * already uses: its Request Authenticator for these codes is RFC 5176 §2.3's (MD5 over the packet
 * with a zero authenticator and the secret), and the Message-Authenticator is the HMAC-MD5 with
 * the authenticator zeroed (RFC 5176 §3.5, RFC 3579). An answer counts only if its Response
 * Authenticator and Message-Authenticator check out against our request and secret.
 */

const require = createRequire(import.meta.url);

interface RadiusLib {
  encode(args: { code: string; secret: string; identifier: number; attributes: Array<[string | number, ...unknown[]]>; add_message_authenticator?: boolean }): Buffer;
  decode(args: { packet: Buffer; secret: string }): { code: string; identifier: number; attributes: Record<string, unknown> };
  verify_response(args: { request: Buffer; response: Buffer; secret: string }): boolean;
}

export interface DynamicAuthTarget {
  address: string;
  port: number;
  secret: string;
  timeoutMs: number;
  retries: number;
}

export interface DynamicAuthRequest {
  userName: string;
  /** Acct-Session-Id as accounting reported it: RFC 5176 §3 session identification. */
  sessionId?: string;
  framedIp?: string;
  /** Mikrotik-Rate-Limit (CoA only). */
  rateLimit?: string;
}

export type DynamicAuthAnswer =
  | { kind: 'ack' }
  /** The NAS changed nothing; errorCause is the Error-Cause attribute (RFC 5176 §3.6), if sent. */
  | { kind: 'nak'; errorCause: string | null }
  | { kind: 'timeout' };

export class DynamicAuthClient {
  private readonly lib: RadiusLib;
  private socket: Socket | null = null;
  private nextId = Math.floor(Math.random() * 256);
  private readonly waiting = new Map<string, (msg: Buffer) => void>();

  constructor(dictionaryFiles: string[]) {
    // Loads the MikroTik dictionary into the package (Mikrotik-Rate-Limit by name).
    createRadiusCodec(dictionaryFiles);
    this.lib = require('radius') as RadiusLib;
  }

  async send(kind: 'disconnect' | 'coa', target: DynamicAuthTarget, req: DynamicAuthRequest): Promise<DynamicAuthAnswer> {
    const socket = await this.open();
    const identifier = this.nextId++ & 0xff;
    const attributes: Array<[string | number, ...unknown[]]> = [['User-Name', req.userName]];
    if (req.sessionId) attributes.push(['Acct-Session-Id', req.sessionId]);
    if (req.framedIp) attributes.push(['Framed-IP-Address', req.framedIp]);
    if (kind === 'coa' && req.rateLimit) attributes.push(['Vendor-Specific', 14988, [['Mikrotik-Rate-Limit', req.rateLimit]]]);
    const packet = this.lib.encode({
      code: kind === 'disconnect' ? 'Disconnect-Request' : 'CoA-Request',
      secret: target.secret,
      identifier,
      attributes,
      add_message_authenticator: true,
    });
    const key = `${target.address}|${target.port}|${identifier}`;
    try {
      for (let attempt = 0; attempt <= target.retries; attempt++) {
        const reply = await new Promise<Buffer | null>((resolve) => {
          const timer = setTimeout(() => {
            this.waiting.delete(key);
            resolve(null);
          }, target.timeoutMs);
          this.waiting.set(key, (msg) => {
            // A forged or corrupted answer is ignored: the real one may still come.
            if (!this.verified(packet, msg, target.secret)) return;
            clearTimeout(timer);
            this.waiting.delete(key);
            resolve(msg);
          });
          socket.send(packet, target.port, target.address);
        });
        if (!reply) continue;
        const code = reply[0];
        if (code === 41 || code === 44) return { kind: 'ack' };
        const decoded = this.lib.decode({ packet: reply, secret: target.secret });
        const cause = decoded.attributes['Error-Cause'];
        return { kind: 'nak', errorCause: cause === undefined ? null : String(cause) };
      }
      return { kind: 'timeout' };
    } finally {
      this.waiting.delete(key);
    }
  }

  async close(): Promise<void> {
    const s = this.socket;
    this.socket = null;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private verified(request: Buffer, response: Buffer, secret: string): boolean {
    if (response.length < 20 || response[1] !== request[1]) return false;
    const expected = request[0] === 40 ? [41, 42] : [44, 45];
    if (!expected.includes(response[0]!)) return false;
    try {
      // RFC 5176 §3.5: a request with a Message-Authenticator needs one in the answer too.
      return this.lib.verify_response({ request, response: Buffer.from(response), secret }) === true && hasAttribute(response, 80);
    } catch {
      return false;
    }
  }

  private async open(): Promise<Socket> {
    if (this.socket) return this.socket;
    const socket = createSocket('udp4');
    socket.on('message', (msg, rinfo) => {
      if (msg.length < 20) return;
      this.waiting.get(`${rinfo.address}|${rinfo.port}|${msg[1]}`)?.(msg);
    });
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.bind(0, resolve));
    this.socket = socket;
    return socket;
  }
}

function hasAttribute(packet: Buffer, type: number): boolean {
  const length = Math.min(packet.readUInt16BE(2), packet.length);
  for (let off = 20; off + 2 <= length; ) {
    if (packet[off] === type) return true;
    const l = packet[off + 1]!;
    if (l < 2) return false;
    off += l;
  }
  return false;
}

/** IPv6 NASes need a udp6 socket; not supported yet (reported as an error per service). */
export function supportedAddress(address: string): boolean {
  return !isIPv6(address);
}
