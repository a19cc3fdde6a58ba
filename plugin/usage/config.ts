import { z } from 'zod';

/** The `usage` section of the plugin's config file (plugin/config.ts). */
export const usageConfigSchema = z
  .strictObject({
    /** When the rollup runs (cron, node-schedule syntax); ingest also nudges it after each batch. */
    rollupCron: z.string().min(1).default('* * * * *'),
    /** Delay after an accepted batch before the near-synchronous rollup (batches arriving meanwhile share it). */
    rollupDelayMs: z.number().int().min(0).max(600_000).default(2000),
    /** When raw observations are pruned (cron). */
    pruneCron: z.string().min(1).default('17 3 * * *'),
    /**
     * Raw observations are kept this many days after they were observed, then pruned once rolled
     * up. This bounds storage, not what is counted: an observation arriving later than this (an
     * agent offline for longer) is counted by its time like any other. Only one that sorts at or
     * before the point where its own session was pruned adds nothing, because counters are
     * cumulative and the session's later counters already hold its bytes; it is logged and kept
     * in the session's `ignored_late` count. A period already closed for billing that such an
     * arrival changes comes back to billing as a late adjustment (billing-port.ts).
     */
    rawRetentionDays: z.number().int().min(1).max(3650).default(7),
    /** A session not ended and seen within this many minutes is live. */
    liveWindowMinutes: z.number().int().min(1).max(1440).default(30),
    /** How far in the future (agent clock ahead) an observation may be before it is quarantined. */
    futureToleranceMinutes: z.number().int().min(0).max(1440).default(60),
  })
  .prefault({});

export type UsageConfig = z.output<typeof usageConfigSchema>;
