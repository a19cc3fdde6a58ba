import { DateTime } from 'luxon';
import { z } from 'zod';
import { loadConfigFile } from './common/config-file.js';
import { usageConfigSchema } from './usage/config.js';
import { networkConfigSchema } from './network/config.js';
import { enforcementConfigSchema } from './enforcement/config.js';
import { pdfConfigSchema, smtpConfigSchema } from './invoicing/config.js';
import { dunningConfigSchema } from './dunning/config.js';
import { webhooksConfigSchema } from './webhooks/config.js';
import { ROUNDING_RULES } from './common/money.js';
import { gatewaysConfigSchema } from './payments/config.js';
import { hostConfigSchema } from './host/config.js';
import { CYCLES, TAX_MODES } from './rating/index.js';

const logSchema = z
  .strictObject({
    level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
    /** json for log collectors, text for people; auto picks text on a terminal. */
    format: z.enum(['json', 'text', 'auto']).default('auto'),
  })
  .prefault({});

export const pluginConfigSchema = z.strictObject({
  db: z
    .strictObject({
      /** `sqlite:var/octet.db` (embedded default) or `mysql://user:pass@host:3306/octet`. */
      url: z
        .string()
        .min(1)
        .default('sqlite:var/octet.db')
        .refine((u) => /^(sqlite:.+|(mysql|mariadb):\/\/.+)$/.test(u), 'must start with sqlite: or mysql://'),
      /**
       * SQLite: how long a write waits for another process (a CLI command) holding the write lock;
       * past it the request is answered 503 with Retry-After.
       */
      busyTimeoutMs: z.number().int().min(0).max(600_000).default(5000),
    })
    .prefault({}),
  http: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(8080),
      /**
       * Set when a reverse proxy terminates TLS (express "trust proxy"): the number of proxy hops,
       * or the proxies' addresses/subnets ("10.0.0.5, loopback"). Then the client address (login
       * limits, logs) comes from X-Forwarded-For. `true` trusts every hop, so a client can claim
       * any address: prefer a hop count or addresses.
       */
      trustProxy: z.union([z.boolean(), z.number().int().min(0), z.string().min(1)]).default(false),
      /** Session cookies marked Secure: 'auto' follows the request's protocol. */
      secureCookies: z.union([z.boolean(), z.literal('auto')]).default('auto'),
      sessionHours: z.number().positive().max(24 * 30).default(12),
    })
    .prefault({}),
  /** Which admin platform hosts the plugin's pages and owns customers, finance, blocking (plugin/host/config.ts). */
  host: hostConfigSchema,
  billing: z
    .strictObject({
      /** The ISP's time zone: billing periods and reporting hours are cut in it (DST included). */
      timezone: z
        .string()
        .default('UTC')
        .refine((tz) => DateTime.now().setZone(tz).isValid, 'is not a known IANA time zone (e.g. Europe/Berlin)'),
      currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as USD').default('USD'),
      /** calendar: periods start on the 1st; anniversary: on the day of the month each service started. */
      cycle: z.enum(CYCLES).default('calendar'),
      /** Rounding of every line to the currency's minor unit (once per line). */
      rounding: z.enum(ROUNDING_RULES).default('half-up'),
      /** line: tax per line on its rounded amount (default); total: once on the invoice's total per rate. */
      taxOn: z.enum(TAX_MODES).default('line'),
      /** The tax of accounts that set no rate of their own (accounts.tax_percent), e.g. { name: VAT, percent: "19" }. */
      tax: z
        .strictObject({
          name: z.string().min(1).max(40).default('Tax'),
          percent: z.union([z.string(), z.number()]).transform(String).refine((p) => /^\d{1,2}(\.\d{1,4})?$/.test(p), 'must be a percentage such as 19 or 7.5 (0 to 99.9999)').default('0'),
        })
        .prefault({}),
      /**
       * A service that starts between two billing dates gets its first invoice (the fee from its
       * start to the next period, in advance) from the first run on or after its start day, i.e.
       * the next day's scheduled run, instead of on its next billing date.
       */
      invoiceOnStart: z.boolean().default(false),
      /** Accounts rated and issued per transaction of a run. */
      runChunk: z.number().int().min(1).max(5000).default(500),
      /**
       * A run's lease on its date, renewed after every chunk: a run whose process died is taken
       * over this long after its last chunk (by the next `octet bill` or another instance).
       */
      runLeaseSeconds: z.number().int().min(2).max(3600).default(30),
      /**
       * Billing runs on a schedule, in the ISP's time zone (node-schedule cron: minute hour day
       * month weekday). Daily at 00:30 by default: each run bills the services whose period
       * starts that day (all of them on the 1st for calendar cycles), and with invoiceOnStart the
       * first invoice of services that started since. Off: runs only by `octet bill` or the
       * Billing runs page.
       */
      schedule: z
        .strictObject({
          enabled: z.boolean().default(true),
          cron: z.string().min(9).default('30 0 * * *'),
        })
        .prefault({}),
    })
    .prefault({}),
  usage: usageConfigSchema,
  network: networkConfigSchema,
  enforcement: enforcementConfigSchema,
  /** Payment webhooks (Stripe, signed generic gateways). */
  payments: gatewaysConfigSchema,
  pdf: pdfConfigSchema,
  smtp: smtpConfigSchema,
  dunning: dunningConfigSchema,
  /** Webhooks out: delivery, retries, backoff. */
  webhooks: webhooksConfigSchema,
  log: logSchema,
});

export type PluginConfig = z.output<typeof pluginConfigSchema>;
export type PluginConfigInput = z.input<typeof pluginConfigSchema>;

export function loadPluginConfig(file: string, env: NodeJS.ProcessEnv = process.env): PluginConfig {
  return loadConfigFile(file, pluginConfigSchema, env);
}

/** The configuration used when no file is given: the embedded SQLite default. */
export function defaultPluginConfig(overrides: Partial<z.input<typeof pluginConfigSchema>> = {}): PluginConfig {
  return pluginConfigSchema.parse(overrides);
}
