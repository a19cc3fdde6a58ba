import type { AttributeMap } from './codec.js';
import { HEADER_LENGTH } from './frame.js';

/**
 * Reads the attributes accounting uses straight from a verified, well-framed Accounting-Request
 * (parseFrame has already checked every attribute's length), producing exactly the values the
 * `radius` package's decoder gives for them (strings as UTF-8, integers as numbers, enumerations
 * by their dictionary names, Event-Timestamp as a Date, Framed-IP-Address dotted).
 *
 * Why not the package: its decoder slices and allocates for every attribute of every packet,
 * through dictionary lookups, and was the largest single cost per request in the benchmark
 * (issue 4). The package stays for what a small reader should not reimplement: anything unusual
 * here returns undefined and the caller decodes with the package instead (a repeated attribute, a
 * value of an unexpected size, an enumeration value outside RFC 2866's tables that another
 * dictionary may name, Proxy-State to echo, a Message-Authenticator), and it still encodes every
 * answer that is not the plain one. Attributes not listed here, Vendor-Specific ones (MikroTik's
 * included) among them, are skipped: accounting reads none of them, and so none can make a
 * request undecodable.
 */

const STRING = 0;
const INTEGER = 1;
const DATE = 2;
const IPADDR = 3;
const STATUS = 4;
const CAUSE = 5;
/** Present: the package must decode the packet (and build the answer). */
const FALLBACK = 6;

type Kind = typeof STRING | typeof INTEGER | typeof DATE | typeof IPADDR | typeof STATUS | typeof CAUSE | typeof FALLBACK;

/**
 * Attribute number -> [name, kind] (RFC 2865 §5, RFC 2866 §5, RFC 2869 §5): the same numbers as
 * frame.ts's ACCOUNTING_ATTRIBUTES, the ones the package is handed on fallback.
 */
const READ: ReadonlyArray<readonly [string, Kind] | undefined> = (() => {
  const t: Array<readonly [string, Kind] | undefined> = new Array(256).fill(undefined);
  t[1] = ['User-Name', STRING];
  t[8] = ['Framed-IP-Address', IPADDR];
  t[31] = ['Calling-Station-Id', STRING];
  t[33] = ['Proxy-State', FALLBACK];
  t[40] = ['Acct-Status-Type', STATUS];
  t[41] = ['Acct-Delay-Time', INTEGER];
  t[42] = ['Acct-Input-Octets', INTEGER];
  t[43] = ['Acct-Output-Octets', INTEGER];
  t[44] = ['Acct-Session-Id', STRING];
  t[46] = ['Acct-Session-Time', INTEGER];
  t[49] = ['Acct-Terminate-Cause', CAUSE];
  t[52] = ['Acct-Input-Gigawords', INTEGER];
  t[53] = ['Acct-Output-Gigawords', INTEGER];
  t[55] = ['Event-Timestamp', DATE];
  t[80] = ['Message-Authenticator', FALLBACK];
  return t;
})();

/** RFC 2866 §5.1 (the values accounting acts on). */
const STATUS_NAMES: ReadonlyArray<string | undefined> = [undefined, 'Start', 'Stop', 'Interim-Update', undefined, undefined, undefined, 'Accounting-On', 'Accounting-Off'];

/** RFC 2866 §5.10. */
const CAUSE_NAMES: ReadonlyArray<string | undefined> = [
  undefined,
  'User-Request',
  'Lost-Carrier',
  'Lost-Service',
  'Idle-Timeout',
  'Session-Timeout',
  'Admin-Reset',
  'Admin-Reboot',
  'Port-Error',
  'NAS-Error',
  'NAS-Request',
  'NAS-Reboot',
  'Port-Unneeded',
  'Port-Preempted',
  'Port-Suspended',
  'Service-Unavailable',
  'Callback',
  'User-Error',
  'Host-Request',
];

/**
 * The accounting attributes of `buf` (Length `length`, framing already checked), or undefined
 * when the packet needs the `radius` package (see above).
 */
export function readAccountingAttributes(buf: Buffer, length: number): AttributeMap | undefined {
  const out: AttributeMap = {};
  let off = HEADER_LENGTH;
  while (off < length) {
    const type = buf[off]!;
    const len = buf[off + 1]!;
    const start = off + 2;
    off += len;
    const spec = READ[type];
    if (spec === undefined) continue;
    const [name, kind] = spec;
    if (kind === FALLBACK || out[name] !== undefined) return undefined;
    if (kind === STRING) {
      out[name] = buf.toString('utf8', start, off);
      continue;
    }
    if (len !== 6) return undefined;
    if (kind === IPADDR) {
      out[name] = `${buf[start]!}.${buf[start + 1]!}.${buf[start + 2]!}.${buf[start + 3]!}`;
      continue;
    }
    const value = buf.readUInt32BE(start);
    if (kind === INTEGER) out[name] = value;
    else if (kind === DATE) out[name] = new Date(value * 1000);
    else {
      const label = kind === STATUS ? STATUS_NAMES[value] : CAUSE_NAMES[value];
      if (label === undefined) return undefined;
      out[name] = label;
    }
  }
  return out;
}
