import { z } from 'zod';

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DECIMAL = /^\d{1,15}(\.\d{1,4})?$/;

/**
 * The `dunning` section of the plugin's config file (plugin/config.ts): when reminders go out,
 * when an overdue account is suspended, and when it may be. Days count from an invoice's due date
 * (local dates in `billing.timezone`).
 */
export const dunningConfigSchema = z
  .strictObject({
    /** Reminder e-mails at these offsets from the due date (negative: before it), e.g. [-3, 1, 7]. */
    reminders: z.array(z.number().int().min(-60).max(365)).max(10).default([-3, 1, 7]),
    /** Days after the due date during which an unpaid invoice does not count as overdue yet. */
    graceDays: z.number().int().min(0).max(365).default(3),
    /**
     * The suspension applies this many days after the due date of the oldest overdue invoice.
     * 0 (with graceDays: 0): on the first day an invoice is overdue (the day after its due date);
     * a value equal to graceDays: on the first day after the grace period.
     */
    suspendAfterDays: z.number().int().min(0).max(730).default(14),
    /**
     * Overdue amounts below these (decimal text in major units, per currency) never suspend.
     * A currency not listed: any overdue amount above zero counts.
     */
    minimumOverdue: z.record(z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as EUR'), z.union([z.string(), z.number()]).transform(String).refine((v) => DECIMAL.test(v), 'must be a decimal amount such as 5 or 4.99')).default({}),
    /** When suspensions may happen, in the ISP's time zone: ISO weekdays (1 = Monday), hours [from, to), holidays. */
    window: z
      .strictObject({
        weekdays: z.array(z.number().int().min(1).max(7)).min(1).default([1, 2, 3, 4, 5]),
        fromHour: z.number().int().min(0).max(23).default(9),
        toHour: z.number().int().min(1).max(24).default(17),
        holidays: z.array(z.string().regex(DATE, 'must be a date YYYY-MM-DD')).default([]),
      })
      .refine((w) => w.fromHour < w.toHour, { message: 'fromHour must be before toHour', path: ['toHour'] })
      .prefault({}),
    schedule: z
      .strictObject({
        enabled: z.boolean().default(true),
        /** The evaluation runs every this many minutes (under a database lease: one instance at a time). */
        everyMinutes: z.number().int().min(1).max(1440).default(15),
      })
      .prefault({}),
    /** The evaluation's lease, renewed with every account: a dead instance is taken over after this. */
    leaseSeconds: z.number().int().min(5).max(3600).default(60),
  })
  .refine((d) => d.suspendAfterDays >= d.graceDays, { message: 'must not be within the grace period (at least graceDays)', path: ['suspendAfterDays'] })
  .prefault({});

export type DunningConfig = z.output<typeof dunningConfigSchema>;
