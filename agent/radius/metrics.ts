import { Counter, Gauge, Registry } from 'prom-client';

export type DropReason =
  | 'unknown-client'
  | 'short'
  | 'bad-length'
  | 'truncated'
  | 'bad-attribute'
  | 'unsupported-code'
  | 'bad-authenticator'
  | 'undecodable'
  | 'duplicate-in-progress'
  | 'spool-full'
  | 'spool-error';

export type IgnoreReason = 'poll-source' | 'unsupported-status' | 'missing-session-id' | 'missing-user-name' | 'after-end';

export interface RadiusMetrics {
  /**
   * Counts an authenticated request by status type. This and `record` run per packet, so they add
   * to plain numbers that reach prom-client when the metrics are read (its inc() validates its
   * arguments and looks the label set up on every call).
   */
  packet(type: string): void;
  /** Counts session observations written to the spool. */
  record(n: number): void;
  drop(reason: DropReason): void;
  packets: Counter<'type'>;
  dropped: Counter<'reason'>;
  ignored: Counter<'reason'>;
  retransmits: Counter;
  held: Counter;
  recorded: Counter;
  beyondStorable: Counter;
}

export function registerRadiusMetrics(registry: Registry | undefined, openSessions: () => number): RadiusMetrics {
  const registers = [registry ?? new Registry()];
  new Gauge({
    name: 'octet_agent_radius_open_sessions',
    help: 'RADIUS sessions open on their NAS as far as accounting tells',
    registers,
    collect() {
      this.set(openSessions());
    },
  });
  /** Counted, not yet added to the prom-client counters (by type; records). */
  const packetsByType = new Map<string, number>();
  let records = 0;
  const packets = new Counter({
    name: 'octet_agent_radius_packets_total',
    help: 'Authenticated Accounting-Requests by Acct-Status-Type',
    labelNames: ['type'] as const,
    registers,
    collect() {
      for (const [type, n] of packetsByType) {
        if (n > 0) this.labels(type).inc(n);
        packetsByType.set(type, 0);
      }
    },
  });
  const dropped = new Counter({
    name: 'octet_agent_radius_dropped_total',
    help: 'Packets dropped without an answer, by reason',
    labelNames: ['reason'] as const,
    registers,
  });
  const byReason = new Map<string, { inc(): void }>();
  return {
    packet(type) {
      packetsByType.set(type, (packetsByType.get(type) ?? 0) + 1);
    },
    record(n) {
      records += n;
    },
    drop(reason) {
      let c = byReason.get(reason);
      if (!c) byReason.set(reason, (c = dropped.labels(reason)));
      c.inc();
    },
    packets,
    dropped,
    ignored: new Counter({
      name: 'octet_agent_radius_ignored_total',
      help: 'Accounting-Requests answered but not recorded, by reason',
      labelNames: ['reason'],
      registers,
    }),
    retransmits: new Counter({
      name: 'octet_agent_radius_retransmits_total',
      help: 'Retransmitted requests answered again without recording',
      registers,
    }),
    held: new Counter({
      name: 'octet_agent_radius_retransmits_held_total',
      help: 'Retransmissions of a request still being written, answered once the write completed',
      registers,
    }),
    beyondStorable: new Counter({
      name: 'octet_agent_radius_counters_beyond_storable_total',
      help: 'Records with a counter past 2^63-1, shipped as reported for the plugin to quarantine (Agents page)',
      registers,
    }),
    recorded: new Counter({
      name: 'octet_agent_radius_records_total',
      help: 'Session observations written to the spool from RADIUS',
      registers,
      collect() {
        if (records > 0) this.inc(records);
        records = 0;
      },
    }),
  };
}
