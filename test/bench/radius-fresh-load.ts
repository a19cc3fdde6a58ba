/**
 * The second RADIUS load shape, as an independent NAS would make it: one socket, a window of
 * outstanding requests, and every packet encoded afresh by the npm `radius` package at the moment
 * it is sent (5,000 sessions sending Interim-Updates with growing counters). Runs in its own
 * process so that its CPU is measured apart from the server's and it never shares a thread with
 * the benchmark's bookkeeping.
 *
 *   npx tsx test/bench/radius-fresh-load.ts --port N --secret S [--requests 60000] [--window 32] [--sessions 5000] [--tag x]
 *
 * Prints one JSON line: answered, elapsed ms, p50/p99 latency ms, retransmissions, its own CPU ms.
 */
import { createSocket } from 'node:dgram';
import { parseArgs } from 'node:util';
import { MIKROTIK_DICTIONARY } from '../../agent/main.js';
import { createRadiusCodec } from '../../agent/radius/codec.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    secret: { type: 'string' },
    requests: { type: 'string', default: '60000' },
    window: { type: 'string', default: '32' },
    sessions: { type: 'string', default: '5000' },
    tag: { type: 'string', default: 'x' },
  },
});
const PORT = Number(values.port);
const SECRET = values.secret!;
const TOTAL = Number(values.requests);
const WINDOW = Math.min(256, Number(values.window));
const SESSIONS = Number(values.sessions);
const TIMEOUT_MS = 2000;
// The codec is a typed face of the npm `radius` package: encodeRequest is its encode().
const radius = createRadiusCodec([MIKROTIK_DICTIONARY]);

function encode(i: number, identifier: number): Buffer {
  const s = i % SESSIONS;
  const round = Math.floor(i / SESSIONS) + 1;
  return radius.encodeRequest({
    code: 'Accounting-Request',
    secret: SECRET,
    identifier,
    attributes: [
      ['Acct-Status-Type', 'Interim-Update'],
      ['Acct-Session-Id', `${values.tag}-${s.toString(16).padStart(8, '0')}`],
      ['User-Name', `subscriber${s}`],
      ['NAS-IP-Address', '127.0.0.1'],
      ['NAS-Port-Id', 'ether1'],
      ['Framed-IP-Address', `100.64.${(s >> 8) & 255}.${s & 255}`],
      ['Calling-Station-Id', 'AA:BB:CC:DD:EE:FF'],
      ['Acct-Session-Time', round * 300],
      ['Acct-Input-Octets', (round * 1_000_003) % 2 ** 32],
      ['Acct-Output-Octets', (round * 7_000_009) % 2 ** 32],
      ['Acct-Input-Gigawords', 0],
      ['Acct-Output-Gigawords', round],
      ['Event-Timestamp', new Date(Date.UTC(2026, 2, 1) + round * 300_000)],
      ['Vendor-Specific', 14988, [['Mikrotik-Rate-Limit', '10M/20M']]],
    ],
  });
}

const socket = createSocket('udp4');
const freeIds = Array.from({ length: 256 }, (_, i) => i);
const byId = new Map<number, { packet: Buffer; firstAt: number; lastAt: number }>();
const latencies = new Float64Array(TOTAL);
let next = 0;
let answered = 0;
let retransmissions = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();

function sendNext(): void {
  while (byId.size < WINDOW && next < TOTAL) {
    const id = freeIds.shift()!;
    const packet = encode(next++, id);
    const now = performance.now();
    byId.set(id, { packet, firstAt: now, lastAt: now });
    socket.send(packet, PORT, '127.0.0.1');
  }
}

const done = new Promise<void>((resolve) => {
  socket.on('message', (msg) => {
    if (msg.length < 20 || msg[0] !== 5) return;
    const p = byId.get(msg[1]!);
    if (!p) return;
    byId.delete(msg[1]!);
    freeIds.push(msg[1]!);
    latencies[answered++] = performance.now() - p.firstAt;
    if (answered === TOTAL) {
      clearInterval(timer);
      resolve();
    } else sendNext();
  });
  const timer = setInterval(() => {
    const now = performance.now();
    for (const p of byId.values()) {
      if (now - p.lastAt < TIMEOUT_MS) continue;
      p.lastAt = now;
      retransmissions++;
      socket.send(p.packet, PORT, '127.0.0.1');
    }
  }, 250);
});
socket.bind(0, '127.0.0.1', sendNext);
await done;
const elapsedMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
socket.close();
const sorted = Array.from(latencies.subarray(0, answered)).sort((a, b) => a - b);
const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
process.stdout.write(
  JSON.stringify({ answered, elapsedMs, p50ms: pct(50), p99ms: pct(99), retransmissions, cpuMs: (cpu.user + cpu.system) / 1000 }) + '\n',
);
