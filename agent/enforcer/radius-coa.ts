import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { createRequire } from 'node:module';
import { isIPv6 } from 'node:net';
import { createRadiusCodec } from '../radius/codec.js';

/**
 * RFC 5176 Dynamic Authorization client: Disconnect-Request (40) and CoA-Request (43) to a NAS,
 * answered by ACK (41/44) or NAK (42/45). The `radius` package the agent already uses encodes the
 * attributes; the authenticators are computed here, because the package gets their order wrong
 * for these codes: RFC 5176 §3.5 computes the Message-Authenticator *before* the Request
 * Authenticator, over the packet with a zero authenticator (as FreeRADIUS does), while the package
 * computes it after, over the finished authenticator. An answer counts only if its Response
 * Authenticator and Message-Authenticator (RFC 3579 §3.2: over the answer with our Request
 * Authenticator in place) check out against our request and secret.
 */

const require = createRequire(import.meta.url);

interface RadiusLib {
  encode(args: { code: string; secret: string; identifier: number; attributes: Array<[string | number, ...unknown[]]>; add_message_authenticator?: boolean }): Buffer;
}

const MESSAGE_AUTHENTICATOR = 80;
const ERROR_CAUSE = 101;

/** RFC 5176 §3.6 Error-Cause values. */
const ERROR_CAUSES: Record<number, string> = {
  201: 'Residual-Session-Context-Removed',
  202: 'Invalid-EAP-Packet',
  401: 'Unsupported-Attribute',
  402: 'Missing-Attribute',
  403: 'NAS-Identification-Mismatch',
  404: 'Invalid-Request',
  405: 'Unsupported-Service',
  406: 'Unsupported-Extension',
  407: 'Invalid-Attribute-Value',
  501: 'Administratively-Prohibited',
  502: 'Request-Not-Routable',
  503: 'Session-Context-Not-Found',
  504: 'Session-Context-Not-Removable',
  505: 'Other-Proxy-Processing-Error',
  506: 'Resources-Unavailable',
  507: 'Request-Initiated',
  508: 'Multiple-Session-Selection-Unsupported',
};

/** Offset of the value of the first attribute `type`, or -1. */
function attributeAt(packet: Buffer, type: number): number {
  const length = Math.min(packet.readUInt16BE(2), packet.length);
  for (let off = 20; off + 2 <= length; ) {
    const l = packet[off + 1]!;
    if (l < 2 || off + l > length) return -1;
    if (packet[off] === type) return off + 2;
    off += l;
  }
  return -1;
}

/** RFC 5176 §2.3 and §3.5: Message-Authenticator over the zero-authenticator packet, then the Request Authenticator. */
export function signRequest(packet: Buffer, secret: string): Buffer {
  const out = Buffer.from(packet);
  out.fill(0, 4, 20);
  const ma = attributeAt(out, MESSAGE_AUTHENTICATOR);
  if (ma >= 0) {
    out.fill(0, ma, ma + 16);
    createHmac('md5', secret).update(out).digest().copy(out, ma);
  }
  createHash('md5').update(out).update(secret).digest().copy(out, 4);
  return out;
}

/** Checks an answer's Response Authenticator and Message-Authenticator against our request. */
export function verifyResponse(request: Buffer, response: Buffer, secret: string): boolean {
  const length = response.readUInt16BE(2);
  if (length < 20 || length > response.length) return false;
  const copy = Buffer.from(response.subarray(0, length));
  request.copy(copy, 4, 4, 20);
  const expected = createHash('md5').update(copy).update(secret).digest();
  if (!timingSafeEqual(expected, response.subarray(4, 20))) return false;
  // RFC 5176 §3.5: a request with a Message-Authenticator needs one in the answer too.
  const ma = attributeAt(copy, MESSAGE_AUTHENTICATOR);
  if (ma < 0) return false;
  const got = Buffer.from(copy.subarray(ma, ma + 16));
  copy.fill(0, ma, ma + 16);
  return timingSafeEqual(createHmac('md5', secret).update(copy).digest(), got);
}

function errorCauseOf(response: Buffer): string | null {
  const at = attributeAt(response, ERROR_CAUSE);
  if (at < 0 || at + 4 > response.length) return null;
  const n = response.readUInt32BE(at);
  return ERROR_CAUSES[n] ?? String(n);
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
    attributes.push(['Message-Authenticator', Buffer.alloc(16)]);
    const packet = signRequest(
      this.lib.encode({ code: kind === 'disconnect' ? 'Disconnect-Request' : 'CoA-Request', secret: target.secret, identifier, attributes, add_message_authenticator: false }),
      target.secret,
    );
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
        return { kind: 'nak', errorCause: errorCauseOf(reply) };
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
    return verifyResponse(request, response, secret);
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

/** IPv6 NASes need a udp6 socket; not supported yet (reported as an error per service). */
export function supportedAddress(address: string): boolean {
  return !isIPv6(address);
}
