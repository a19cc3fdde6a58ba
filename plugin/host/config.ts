import { z } from 'zod';
import { ROLES } from '../auth/index.js';
import { uispHostConfigSchema } from './uisp/config.js';

/**
 * config `host`: which platform hosts Octet's pages and owns what.
 *
 *   host: standalone                       # Octet's own tables (the default)
 *   host: { kind: splynx, splynx: { url, apiKey, apiSecret, charges, dunning, frameAncestors, roleMap } }
 *   host: { kind: uisp, url, appKey, ... } # plugin/host/uisp/config.ts
 */
export const DEFAULT_SPLYNX_ROLE_MAP: Record<string, (typeof ROLES)[number]> = {
  'super-administrator': 'admin',
  administrator: 'admin',
  manager: 'billing',
  accountant: 'billing',
  finance: 'billing',
};

const origin = z
  .string()
  .refine((s) => {
    try {
      const u = new URL(s);
      return (u.protocol === 'https:' || u.protocol === 'http:') && u.origin === s.replace(/\/$/, '');
    } catch {
      return false;
    }
  }, 'must be an origin such as https://splynx.isp.example (scheme, host and port only)')
  .transform((s) => s.replace(/\/$/, ''));

export const splynxSettingsSchema = z.strictObject({
  /** The Splynx URL, e.g. https://splynx.isp.example (Config → Main → API "System API URL"). */
  url: z.string().url('must be the Splynx URL, e.g. https://splynx.isp.example').refine((u) => /^https?:\/\//.test(u), 'must start with http:// or https://'),
  /** Administration → API keys; give it ${SPLYNX_API_KEY} from the environment. */
  apiKey: z.string().min(1, 'is the Splynx API key'),
  apiSecret: z.string().min(1, 'is the Splynx API secret'),
  /** token: one signed login per 30 min, then access tokens; signature: every request signed. */
  auth: z.enum(['token', 'signature']).default('token'),
  /** How Octet's usage charges reach Splynx: one transaction per invoice line, or one Splynx invoice per Octet invoice. */
  charges: z.enum(['transactions', 'invoices']).default('transactions'),
  /** Transaction category id for charges ("Config / Finance / Transaction categories"; 1 = Service). */
  transactionCategory: z.string().regex(/^\d+$/, 'must be a category id such as 1').default('1'),
  /**
   * octet: Octet reads Splynx payments and its own dunning suspends; splynx: Splynx blocks overdue
   * customers and Octet only mirrors that block into enforcement (never both enforcing).
   */
  dunning: z.enum(['octet', 'splynx']).default('splynx'),
  /** Origins allowed to frame Octet's pages (CSP frame-ancestors); normally the Splynx URL's origin. */
  frameAncestors: z.array(origin).default([]),
  /** Splynx administrator role name → Octet role; a role not listed is readonly. */
  roleMap: z.record(z.string().min(1), z.enum(ROLES)).default(DEFAULT_SPLYNX_ROLE_MAP),
  /** Splynx internet tariff title (or id) → Octet tariff code; a title not listed is used as the code. */
  tariffMap: z.record(z.string().min(1), z.string().min(1)).default({}),
  /** Records per API page. */
  pageSize: z.number().int().min(1).max(1000).default(100),
  timeoutMs: z.number().int().min(100).max(120_000).default(15_000),
  retries: z.number().int().min(0).max(10).default(3),
  /**
   * The secret of a Splynx webhook (Config → Integrations → Hooks) pointed at POST /hooks/splynx:
   * each signed event makes the sync run at once instead of at its next tick. Unset: no endpoint.
   */
  webhookSecret: z.string().min(16, 'must be at least 16 characters').optional(),
  /** How often the sync job runs, in minutes. */
  syncEveryMinutes: z.number().int().min(1).max(24 * 60).default(15),
});

const standaloneObject = z.strictObject({ kind: z.literal('standalone') });
const splynxObject = z.strictObject({ kind: z.literal('splynx'), splynx: splynxSettingsSchema });

export const hostConfigSchema = z
  .union([z.literal('standalone').transform(() => ({ kind: 'standalone' as const })), z.discriminatedUnion('kind', [standaloneObject, splynxObject, uispHostConfigSchema])])
  .default({ kind: 'standalone' });

export type SplynxSettings = z.output<typeof splynxSettingsSchema>;
export type HostConfig = z.output<typeof hostConfigSchema>;
