import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../../../plugin/common/clock.js';
import { nullLogger } from '../../../../plugin/common/logger.js';
import type { SessionObservation } from '../../../../plugin/common/wire.js';
import { MIKROTIK_DICTIONARY } from '../../../../agent/main.js';
import { packetKey } from '../../../../agent/radius/accounting.js';
import { createRadiusCodec } from '../../../../agent/radius/codec.js';
import { Spool } from '../../../../agent/spool/spool.js';
import { LoadGenerator } from './load-generator.js';

const HARNESS = fileURLToPath(new URL('./harness.ts', import.meta.url));
const SECRET = 'crash-secret';

function startHarness(dir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', HARNESS, '--dir', dir, '--secret', SECRET], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', (line) => resolve({ child, port: (JSON.parse(line) as { port: number }).port }));
    child.once('exit', (code) => reject(new Error(`harness exited early (${code})`)));
  });
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((r) => child.once('exit', () => r()));
}

/** Sends packets byte for byte (as a NAS retransmits), at most one per Identifier in flight, until each is answered. */
async function resendExact(port: number, packets: Buffer[]): Promise<void> {
  const socket = createSocket('udp4');
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const queue = [...packets];
  const inFlight = new Map<number, { packet: Buffer; at: number }>();
  try {
    await new Promise<void>((resolve) => {
      const pump = () => {
        for (let i = 0; i < queue.length && inFlight.size < 64; ) {
          const p = queue[i]!;
          if (inFlight.has(p[1]!)) {
            i++;
            continue;
          }
          queue.splice(i, 1);
          inFlight.set(p[1]!, { packet: p, at: Date.now() });
          socket.send(p, port, '127.0.0.1');
        }
        if (queue.length === 0 && inFlight.size === 0) resolve();
      };
      socket.on('message', (m) => {
        const f = inFlight.get(m[1]!);
        if (m[0] === 5 && f) {
          inFlight.delete(m[1]!);
          pump();
        }
      });
      const timer = setInterval(() => {
        for (const f of inFlight.values()) {
          if (Date.now() - f.at > 1000) {
            f.at = Date.now();
            socket.send(f.packet, port, '127.0.0.1');
          }
        }
        if (queue.length === 0 && inFlight.size === 0) clearInterval(timer);
      }, 200);
      pump();
    });
  } finally {
    socket.close();
  }
}

describe('agent crash: kill -9 while a NAS is sending', function () {
  this.timeout(180_000);
  let dir: string;
  const children: ChildProcess[] = [];

  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'octet-crash-'))));
  afterEach(async () => {
    for (const c of children.splice(0)) {
      if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
      await exited(c);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps every acknowledged record exactly once across the crash, retransmissions included', async () => {
    const codec = createRadiusCodec([MIKROTIK_DICTIONARY]);
    const templates: Buffer[] = [];
    for (let i = 0; i < 20_000; i++) {
      const session = i % 2000;
      const round = Math.floor(i / 2000);
      templates.push(
        codec.encodeRequest({
          code: 'Accounting-Request',
          secret: SECRET,
          identifier: 0,
          attributes: [
            ['Acct-Status-Type', round === 0 ? 'Start' : round === 9 ? 'Stop' : 'Interim-Update'],
            ['Acct-Session-Id', `sess-${session}`],
            ['User-Name', `user${session}`],
            ['NAS-IP-Address', '127.0.0.1'],
            ['Acct-Output-Octets', round * 1000 + session],
            ['Acct-Input-Octets', round],
            ['Event-Timestamp', new Date(Date.UTC(2026, 2, 1, 0, round))],
          ],
        }),
      );
    }

    // 1. A NAS sends; the agent is killed with SIGKILL in the middle of the stream.
    const first = await startHarness(dir);
    children.push(first.child);
    const gen = new LoadGenerator({ port: first.port, secret: SECRET, templates, sockets: 2, window: 64, timeoutMs: 1000 });
    const running = gen.run();
    while (gen.answeredSoFar < 6000) await new Promise((r) => setTimeout(r, 5));
    first.child.kill('SIGKILL');
    await exited(first.child);
    gen.abort();
    const sentBefore = await running;
    const acknowledged = templates.map((_, i) => i).filter((i) => sentBefore.answered[i]);
    const unanswered = templates.map((_, i) => i).filter((i) => sentBefore.sent[i] && !sentBefore.answered[i]);
    expect(acknowledged.length).to.be.at.least(6000);

    // A write torn by the crash: half a record at the end of the last segment.
    const segs = readdirSync(join(dir, 'spool')).filter((n) => n.startsWith('seg-')).sort();
    appendFileSync(join(dir, 'spool', segs.at(-1)!), Buffer.from([0, 0, 0, 200, 1, 2, 3, 4, 0, 0, 0]));

    // 2. The agent restarts; the NAS retransmits what was not answered, and (its answers lost)
    //    some of what was, byte for byte.
    const second = await startHarness(dir);
    children.push(second.child);
    const resend = [...unanswered, ...acknowledged.slice(-500)].map((i) => sentBefore.sent[i]!);
    await resendExact(second.port, resend);
    second.child.kill('SIGTERM');
    await exited(second.child);

    // 3. The spool holds each acknowledged record exactly once, and nothing twice.
    const spool = await Spool.open({ dir: join(dir, 'spool'), maxBytes: 1024 ** 3, logger: nullLogger, clock: systemClock });
    const records: SessionObservation[] = [];
    await spool.scan(0, (e) => records.push(e.record));
    await spool.close();
    const count = new Map<string, number>();
    for (const r of records) count.set(r.recordId, (count.get(r.recordId) ?? 0) + 1);
    const idOf = (i: number) => {
      const p = sentBefore.sent[i]!;
      return packetKey('nas1', p[1]!, p.subarray(4, 20));
    };
    const missing = acknowledged.filter((i) => count.get(idOf(i)) !== 1);
    expect(missing, 'acknowledged records missing or duplicated').to.deep.equal([]);
    expect([...count.values()].filter((n) => n > 1), 'duplicated record ids').to.deep.equal([]);
    const events = new Set(records.map((r) => `${r.sessionId}/${r.downloadOctets}/${r.ended}`));
    expect(events.size, 'the same event recorded twice').to.equal(records.length);
    // Everything retransmitted after the restart is in as well.
    for (const i of unanswered) expect(count.get(idOf(i)), `retransmitted packet ${i}`).to.equal(1);
  });
});
