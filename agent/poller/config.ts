import { z } from 'zod';

/**
 * One router entry of the agent config (`routers:`). Secrets may come from the environment
 * through the config loader's `${ENV}` substitution, e.g. `password: ${BRAS1_API_PASSWORD}`.
 */
export const routerConfigSchema = z
  .strictObject({
    /** Our name for the router; becomes `sourceName` of its observations. Must be unique. */
    name: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9._-]+$/, 'use letters, digits, dot, dash or underscore'),
    host: z.string().min(1),
    /** Default 8728, or 8729 when tls.enabled. */
    port: z.number().int().min(1).max(65535).optional(),
    tls: z
      .strictObject({
        enabled: z.boolean().default(false),
        /** PEM file of the CA that signed the router's certificate. */
        caFile: z.string().min(1).optional(),
        /** SHA-256 fingerprint of the router's (self-signed) certificate, hex with or without colons. */
        fingerprint: z
          .string()
          .regex(/^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/, 'must be a SHA-256 fingerprint (64 hex digits)')
          .optional(),
        /** Accept any certificate: traffic is encrypted but the router is not authenticated. */
        insecure: z.boolean().default(false),
      })
      .prefault({}),
    username: z.string().min(1),
    password: z.string(),
    pollIntervalSeconds: z.number().int().min(1).max(3600).default(60),
    /** Per command; a router slower than this counts as failed for the poll. */
    timeoutSeconds: z.number().int().min(1).max(600).default(30),
    collect: z
      .strictObject({
        ppp: z.boolean().default(true),
        hotspot: z.boolean().default(false),
        /** Static simple queues (dynamic ones mirror PPP sessions and are never counted twice). */
        queues: z.boolean().default(false),
      })
      .prefault({}),
    /**
     * Which source is authoritative for this router's sessions: 'poll' (this poller) or 'radius'
     * (the router is also a RADIUS accounting client; its sessions are not polled, so that one
     * session is counted from one source only). Inventory is collected either way.
     */
    sessionSource: z.enum(['poll', 'radius']).default('poll'),
    /**
     * How the router's counters map to subscriber direction. standard: counted from the router's
     * side, so tx (and hotspot bytes-out, queue download) is what the subscriber downloads;
     * swapped: the other way round (as the RADIUS clients' `direction` setting).
     */
    direction: z.enum(['standard', 'swapped']).default('standard'),
    /** Publish the PPP secret / hotspot user inventory every this many polls. */
    inventoryEveryPolls: z.number().int().min(1).max(10_000).default(10),
    /**
     * A session whose counters stand still is reported again (same counters, which add nothing)
     * at least this often, so that the plugin keeps it among its live sessions. Keep it at most
     * half the plugin's usage.liveWindowMinutes (30 minutes by default).
     */
    reportUnchangedEverySeconds: z.number().int().min(10).max(86_400).default(600),
    /**
     * How RouterOS text (logins, comments) is decoded: utf-8 (RouterOS 7 keeps text in UTF-8;
     * words that are not valid UTF-8 keep their bytes exactly), or a RouterOS 6 code page such
     * as windows-1250 / windows-1251 / windows-1252, as Winbox wrote it.
     */
    textEncoding: z.enum(['utf-8', 'windows-1250', 'windows-1251', 'windows-1252', 'latin1']).default('utf-8'),
  })
  .superRefine((r, ctx) => {
    if (r.tls.enabled && r.tls.fingerprint && r.tls.insecure) {
      ctx.addIssue({ code: 'custom', path: ['tls', 'insecure'], message: 'choose either fingerprint or insecure, not both' });
    }
    if (!r.tls.enabled && (r.tls.caFile || r.tls.fingerprint || r.tls.insecure)) {
      ctx.addIssue({ code: 'custom', path: ['tls', 'enabled'], message: 'TLS options are set but tls.enabled is false' });
    }
  });

export type RouterConfig = z.output<typeof routerConfigSchema>;
export type RouterConfigInput = z.input<typeof routerConfigSchema>;

export function routerPort(r: RouterConfig): number {
  return r.port ?? (r.tls.enabled ? 8729 : 8728);
}
