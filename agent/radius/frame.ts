import { hash, timingSafeEqual } from 'node:crypto';

/**
 * RADIUS framing checks done before any attribute is interpreted (RFC 2865 §3, RFC 2866 §3):
 * lengths, attribute structure, and the Accounting-Request authenticator. Pure functions.
 */

export const CODE_ACCOUNTING_REQUEST = 4;
export const CODE_ACCOUNTING_RESPONSE = 5;
export const HEADER_LENGTH = 20;
export const MAX_PACKET_LENGTH = 4096;

export type MalformedReason = 'short' | 'bad-length' | 'truncated' | 'bad-attribute';

export interface Frame {
  code: number;
  identifier: number;
  /** The Length field; bytes past it are padding and ignored (RFC 2866 §3). */
  length: number;
  authenticator: Buffer;
}

export type FrameResult = { ok: true; frame: Frame } | { ok: false; reason: MalformedReason };

export function parseFrame(buf: Buffer): FrameResult {
  if (buf.length < HEADER_LENGTH) return { ok: false, reason: 'short' };
  const length = buf.readUInt16BE(2);
  if (length < HEADER_LENGTH || length > MAX_PACKET_LENGTH) return { ok: false, reason: 'bad-length' };
  if (buf.length < length) return { ok: false, reason: 'truncated' };
  let off = HEADER_LENGTH;
  while (off < length) {
    if (length - off < 2) return { ok: false, reason: 'bad-attribute' };
    const attrLen = buf[off + 1]!;
    if (attrLen < 2 || off + attrLen > length) return { ok: false, reason: 'bad-attribute' };
    off += attrLen;
  }
  return {
    ok: true,
    frame: { code: buf[0]!, identifier: buf[1]!, length, authenticator: buf.subarray(4, 20) },
  };
}

/** RFC 2866 §3: MD5(Code + Identifier + Length + 16 zero octets + request attributes + secret). */
export function accountingRequestAuthenticator(buf: Buffer, length: number, secret: Buffer): Buffer {
  // One reused buffer and a one-shot hash: this runs for every packet, and a Hash object costs
  // more than the MD5 itself on packets this small.
  const n = length + secret.length;
  const data = hashInput(n);
  buf.copy(data, 0, 0, length);
  data.fill(0, 4, 20);
  secret.copy(data, length);
  return hash('md5', data.subarray(0, n), 'buffer');
}

/**
 * The input of the MD5s below, reused: they hash synchronously, so one buffer serves every call,
 * and it never leaves this module (answers are copied out of it).
 */
let scratch = Buffer.allocUnsafe(MAX_PACKET_LENGTH + 128);

function hashInput(n: number): Buffer {
  if (scratch.length < n) scratch = Buffer.allocUnsafe(n);
  return scratch;
}

export function verifyAccountingRequest(buf: Buffer, frame: Frame, secret: Buffer): boolean {
  return timingSafeEqual(accountingRequestAuthenticator(buf, frame.length, secret), frame.authenticator);
}

/**
 * Attributes accounting uses (RFC 2865/2866/2869 numbers; attributes.ts reads the same ones
 * directly in the common case). Only these are handed to the `radius` library's decoder: it allocates per attribute, this runs for every packet, and everything else
 * (Vendor-Specific attributes included, whichever vendor) would be decoded only to be ignored.
 * Unknown or unused attributes are therefore never fatal.
 */
export const ACCOUNTING_ATTRIBUTES: ReadonlySet<number> = new Set([
  1, // User-Name
  8, // Framed-IP-Address
  31, // Calling-Station-Id
  33, // Proxy-State (echoed in the answer)
  40, // Acct-Status-Type
  41, // Acct-Delay-Time
  42, // Acct-Input-Octets
  43, // Acct-Output-Octets
  44, // Acct-Session-Id
  46, // Acct-Session-Time
  49, // Acct-Terminate-Cause
  52, // Acct-Input-Gigawords
  53, // Acct-Output-Gigawords
  55, // Event-Timestamp
  80, // Message-Authenticator (then expected in the answer)
]);

/** A copy of the packet (header fixed up) with only the attributes in `keep`; the original when all are kept. */
export function withOnly(buf: Buffer, length: number, keep: ReadonlySet<number>): Buffer {
  const out = Buffer.allocUnsafe(length);
  buf.copy(out, 0, 0, HEADER_LENGTH);
  let w = HEADER_LENGTH;
  let off = HEADER_LENGTH;
  while (off < length) {
    const len = buf[off + 1]!;
    if (keep.has(buf[off]!)) w += buf.copy(out, w, off, off + len);
    off += len;
  }
  if (w === length && buf.length === length) return buf;
  out.writeUInt16BE(w, 2);
  return out.subarray(0, w);
}

/**
 * The plain Accounting-Response: no attributes (RFC 2866 §4.2), Response Authenticator
 * MD5(5 + Identifier + Length + Request Authenticator + secret) (RFC 2866 §3). Built here because
 * it answers every request; one carrying Proxy-State (to echo) or a Message-Authenticator is
 * answered through the `radius` package instead.
 */
export function plainAccountingResponse(identifier: number, requestAuthenticator: Buffer, secret: Buffer): Buffer {
  const n = HEADER_LENGTH + secret.length;
  const data = hashInput(n);
  data[0] = CODE_ACCOUNTING_RESPONSE;
  data[1] = identifier;
  data.writeUInt16BE(HEADER_LENGTH, 2);
  requestAuthenticator.copy(data, 4);
  secret.copy(data, HEADER_LENGTH);
  // A separate 20-byte answer, so that the buffer handed to the socket holds no secret.
  const out = Buffer.allocUnsafe(HEADER_LENGTH);
  data.copy(out, 0, 0, 4);
  hash('md5', data.subarray(0, n), 'buffer').copy(out, 4);
  return out;
}
