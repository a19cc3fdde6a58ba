import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SessionObservation } from '../../../../plugin/common/wire.js';
import { createRadiusCodec, type EncodeAttribute, type RadiusCodec } from '../../../../agent/radius/codec.js';

export const MIKROTIK_DICTIONARY = fileURLToPath(
  new URL('../../../../config/dictionaries/dictionary.mikrotik', import.meta.url),
);

export function codec(): RadiusCodec {
  return createRadiusCodec([MIKROTIK_DICTIONARY]);
}

export function tempDir(prefix = 'octet-radius-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

let nextId = 0;
/** An Accounting-Request as a NAS would send it (identifier cycles like a NAS's). */
export function acct(
  c: RadiusCodec,
  secret: string,
  attributes: EncodeAttribute[],
  identifier = nextId++ % 256,
): Buffer {
  return c.encodeRequest({ code: 'Accounting-Request', secret, identifier, attributes });
}

export function sessionAttrs(
  status: 'Start' | 'Interim-Update' | 'Stop',
  opts: { session?: string; user?: string; inOctets?: number; outOctets?: number; inGiga?: number; outGiga?: number; time?: number; extra?: EncodeAttribute[] } = {},
): EncodeAttribute[] {
  const a: EncodeAttribute[] = [
    ['Acct-Status-Type', status],
    ['Acct-Session-Id', opts.session ?? '81a00001'],
    ['User-Name', opts.user ?? 'alice'],
    ['NAS-IP-Address', '127.0.0.1'],
  ];
  if (status !== 'Start') {
    a.push(['Acct-Input-Octets', opts.inOctets ?? 0], ['Acct-Output-Octets', opts.outOctets ?? 0]);
    a.push(['Acct-Input-Gigawords', opts.inGiga ?? 0], ['Acct-Output-Gigawords', opts.outGiga ?? 0]);
    a.push(['Acct-Session-Time', opts.time ?? 60]);
  }
  return [...a, ...(opts.extra ?? [])];
}

/** An in-memory ObservationSink; `fail` makes the next appends reject. */
export class MemorySink {
  records: SessionObservation[] = [];
  fail: Error | undefined;
  async append(records: SessionObservation[]): Promise<void> {
    if (this.fail) throw this.fail;
    this.records.push(...records);
  }
}

export class MemorySessions {
  private m = new Map<string, SessionObservation>();
  openFor(nas: string): SessionObservation[] {
    return [...this.m.values()].filter((o) => o.sourceName === nas);
  }
  endedFor(): undefined {
    return undefined;
  }
  apply(records: SessionObservation[]): void {
    for (const r of records) {
      if (r.ended) this.m.delete(`${r.sourceName}/${r.sessionId}`);
      else this.m.set(`${r.sourceName}/${r.sessionId}`, r);
    }
  }
  get size(): number {
    return this.m.size;
  }
}
