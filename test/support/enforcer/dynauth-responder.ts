import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';

/**
 * A NAS's RFC 5176 side, written from the RFC with node:crypto alone (not the `radius` package the
 * agent uses), so the agent's packets are checked by code it does not share:
 * - Request Authenticator = MD5(Code | Identifier | Length | 16 zero octets | Attributes | Secret) (§2.3);
 * - Message-Authenticator = HMAC-MD5(Secret, packet with the authenticator and the
 *   Message-Authenticator zeroed) (§3.5, RFC 3579 §3.2); required here;
 * - the answer's Response Authenticator = MD5(Code | Identifier | Length | Request Authenticator |
 *   Attributes | Secret), its Message-Authenticator computed over it with the Request
 *   Authenticator in place (RFC 3579 §3.2).
 * Packets failing a check are dropped silently, as §3.5 says.
 */
export interface ReceivedRequest {
  code: number;
  userName: string | null;
  sessionId: string | null;
  rateLimit: string | null;
}

export class DynAuthResponder {
  readonly received: ReceivedRequest[] = [];
  readonly dropped: string[] = [];
  /** Decides per request: ack, or nak with an Error-Cause (RFC 5176 §3.6), or no answer. */
  decide: (r: ReceivedRequest) => { ack: true } | { ack: false; errorCause: number } | 'silent' = () => ({ ack: true });
  private socket: Socket | null = null;
  port = 0;

  constructor(readonly secret: string) {}

  async start(): Promise<void> {
    const socket = createSocket('udp4');
    this.socket = socket;
    socket.on('message', (msg, rinfo) => {
      const answer = this.handle(msg);
      if (answer) socket.send(answer, rinfo.port, rinfo.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    this.port = socket.address().port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.socket ? this.socket.close(() => resolve()) : resolve()));
  }

  private handle(msg: Buffer): Buffer | null {
    const code = msg[0]!;
    if (code !== 40 && code !== 43) return this.drop(`code ${code}`);
    const length = msg.readUInt16BE(2);
    const secret = Buffer.from(this.secret);
    const zeroed = Buffer.from(msg.subarray(0, length));
    zeroed.fill(0, 4, 20);
    const expectedAuth = createHash('md5').update(zeroed).update(secret).digest();
    if (!timingSafeEqual(expectedAuth, msg.subarray(4, 20))) return this.drop('request authenticator');
    const attrs = attributes(msg.subarray(20, length));
    const ma = attrs.find((a) => a.type === 80);
    if (!ma) return this.drop('no Message-Authenticator');
    zeroed.fill(0, 20 + ma.offset + 2, 20 + ma.offset + 18);
    const expectedMa = createHmac('md5', secret).update(zeroed).digest();
    if (!timingSafeEqual(expectedMa, ma.value)) return this.drop('Message-Authenticator');
    const text = (t: number) => attrs.find((a) => a.type === t)?.value.toString('utf8') ?? null;
    let rateLimit: string | null = null;
    for (const a of attrs) {
      // Vendor-Specific: Vendor-Id 14988 (MikroTik), vendor type 8 = Mikrotik-Rate-Limit.
      if (a.type === 26 && a.value.readUInt32BE(0) === 14988 && a.value[4] === 8) rateLimit = a.value.subarray(6, 4 + a.value[5]!).toString('utf8');
    }
    const req: ReceivedRequest = { code, userName: text(1), sessionId: text(44), rateLimit };
    this.received.push(req);
    const d = this.decide(req);
    if (d === 'silent') return null;
    const replyCode = d.ack ? code + 1 : code + 2;
    const replyAttrs: Buffer[] = [];
    if (!d.ack) {
      const ec = Buffer.alloc(6);
      ec[0] = 101;
      ec[1] = 6;
      ec.writeUInt32BE(d.errorCause, 2);
      replyAttrs.push(ec);
    }
    replyAttrs.push(Buffer.concat([Buffer.from([80, 18]), Buffer.alloc(16)]));
    const body = Buffer.concat(replyAttrs);
    const reply = Buffer.concat([Buffer.from([replyCode, msg[1]!, 0, 0]), msg.subarray(4, 20), body]);
    reply.writeUInt16BE(reply.length, 2);
    const maAt = reply.length - 16;
    createHmac('md5', secret).update(reply).digest().copy(reply, maAt);
    createHash('md5').update(reply).update(secret).digest().copy(reply, 4);
    return reply;
  }

  private drop(why: string): null {
    this.dropped.push(why);
    return null;
  }
}

function attributes(buf: Buffer): Array<{ type: number; offset: number; value: Buffer }> {
  const out: Array<{ type: number; offset: number; value: Buffer }> = [];
  for (let off = 0; off + 2 <= buf.length; ) {
    const len = buf[off + 1]!;
    if (len < 2) break;
    out.push({ type: buf[off]!, offset: off, value: buf.subarray(off + 2, off + len) });
    off += len;
  }
  return out;
}

export const CODE = { DisconnectRequest: 40, CoaRequest: 43 } as const;
/** RFC 5176 §3.6 Error-Cause values used in tests. */
export const ERROR_CAUSE = { SessionContextNotFound: 503, UnsupportedAttribute: 401 } as const;
