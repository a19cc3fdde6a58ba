import { z } from 'zod';

/** UISP CRM's user groups are free text set by the ISP ("Admin Group", "Billing"), so staff roles come from a map. */
export const UISP_ROLES = ['admin', 'billing', 'readonly'] as const;

/**
 * The UISP CRM host settings. The plugin ZIP in the CRM signs a short assertion
 * with `signingKey` for every page it opens; `appKey` is the CRM app key Octet reads clients and
 * services with (a Write key where Octet posts invoices or suspends).
 */
export const uispSettingsSchema = z.strictObject({
  /** The CRM's base URL as its API sees it, e.g. https://uisp.example.net/crm/ (api/v1.0/ is appended). */
  url: z
    .string()
    .url('must be a URL such as https://uisp.example.net/crm/')
    .refine((u) => /^https?:\/\//.test(u), 'must start with http:// or https://')
    .transform((u) => (u.endsWith('/') ? u : `${u}/`)),
  /** The CRM app key (System → Security → App keys): sent as X-Auth-App-Key, never logged. */
  appKey: z.string().min(16, 'must be the CRM app key (at least 16 characters)'),
  /** read: Octet only reads the CRM; write: it may also suspend services and post invoices. */
  appKeyType: z.enum(['read', 'write']).default('read'),
  /** Shared with the plugin ZIP (its octetSigningKey setting): HMAC-SHA256 key of page assertions. */
  signingKey: z.string().min(32, 'must be at least 32 characters (e.g. openssl rand -hex 32)'),
  /** CRM user group → Octet role; a group not listed gets `defaultRole`, or no access when that is null. */
  roleMap: z.record(z.string().min(1), z.enum(UISP_ROLES)).default({}),
  defaultRole: z.enum(UISP_ROLES).nullable().default(null),
  /** How long a page assertion is accepted after it was signed (the plugin signs for 60 s). */
  assertionMaxAgeSeconds: z.number().int().min(5).max(300).default(60),
  /**
   * The service custom attribute (its key, System → Other → Custom attributes) that holds the
   * PPPoE/hotspot/RADIUS login usage is counted by; a service without it gets no usage.
   */
  loginAttribute: z.string().min(1).default('login'),
  /** The suspension reason Octet's suspensions carry in the CRM (GET /service-suspension-reasons). */
  suspensionReasonId: z.number().int().positive().nullable().default(null),
  /** API request timeout and retries on 5xx/429. */
  timeoutMs: z.number().int().min(100).max(120_000).default(10_000),
  retries: z.number().int().min(0).max(10).default(3),
});

/** The same settings tagged for a discriminated `host` union (`host: { kind: uisp, url, ... }`). */
export const uispHostConfigSchema = uispSettingsSchema.extend({ kind: z.literal('uisp') });

export type UispSettings = z.output<typeof uispSettingsSchema>;
export type UispHostConfig = z.output<typeof uispHostConfigSchema>;
export type UispHostConfigInput = z.input<typeof uispHostConfigSchema>;
