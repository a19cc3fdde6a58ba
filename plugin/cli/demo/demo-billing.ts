import { DateTime } from 'luxon';
import type { Logger } from '../../common/logger.js';
import type { AgentInfo } from '../../ingest/index.js';
import type { RunningPlugin } from '../../main.js';
import { HISTORY, historyBatchId, lastMonth, monthRecords, type HistoryCustomer } from './demo-history.js';

/**
 * The demo's closed month: last month's usage goes in through the real metering path (the agent
 * ingest service, then the usage rollup), then the month is billed by the real billing run and
 * the PDFs rendered by the delivery job, so a newcomer finds invoices on the first start.
 * Safe on every restart: a customer's usage is seeded only when its month holds none, the run is skipped
 * when a finished run for the date exists (and is idempotent anyway).
 */
export interface DemoBilling {
  /** The billing date (the first of this month, local). */
  period: string;
  /** e.g. "November 2026" */
  month: string;
  /** Accounts with an invoice for the date, issued now or by an earlier start. */
  invoiced: number;
  /** True when this start issued them. */
  issuedNow: boolean;
  /** Accounts the run could not bill, with the reason. */
  errors: string[];
  pdfs: { rendered: number; failed: number };
}

export async function seedLastMonthUsage(
  plugin: RunningPlugin,
  agent: AgentInfo,
  customers: ReadonlyArray<{ login: string; nas: string }>,
  kinds: Record<string, 'poll' | 'radius'>,
  logger: Logger,
  /** The demo's first start: the month before it is the one seeded. */
  firstStart: Date,
): Promise<{ seeded: number }> {
  const { ingest } = plugin.services;
  const month = lastMonth(firstStart, plugin.ctx.config.billing.timezone);
  let seeded = 0;
  for (const c of customers) {
    const plan = HISTORY.find((h) => h.login === c.login);
    if (!plan || (await hasUsageIn(plugin, c.login, month))) continue;
    const who: HistoryCustomer = { ...plan, source: kinds[c.nas] ?? 'radius', sourceName: c.nas };
    const records = monthRecords(who, month);
    const ack = await ingest.ingest.ingestBatch(agent, { batchId: historyBatchId(c.login, month), sentAt: month.to.toUTC().toISO()!, records });
    if (ack.rejected.length > 0) throw new Error(`demo: last month's usage for ${c.login} was refused: ${ack.rejected[0]!.reason}`);
    seeded++;
  }
  if (seeded === 0) return { seeded: 0 };
  await rollUpEverything(plugin);
  logger.info('demo: last month\'s usage seeded', { month: month.label, customers: seeded });
  return { seeded };
}

/**
 * A customer already holding usage in the month was seeded by an earlier start (or is a demo
 * database that ran through that month). Sending the same sessions again would add nothing
 * (the same counters at the same times), but it would fill the table with repeats.
 */
async function hasUsageIn(plugin: RunningPlugin, login: string, month: { from: { toMillis(): number }; to: { toMillis(): number } }): Promise<boolean> {
  const page = await plugin.services.subscribers.subscribers.listServices({ login }, 1);
  const serviceId = page.items[0]?.id;
  if (serviceId === undefined) return false;
  const had = await plugin.services.usage.queries.serviceUsage(serviceId, month.from.toMillis(), month.to.toMillis());
  return had.download + had.upload > 0n;
}

/** Runs the usage rollup (under its lease, as its job does) until no observation is pending. */
async function rollUpEverything(plugin: RunningPlugin): Promise<void> {
  const { jobs, usage } = plugin.services.usage;
  for (let i = 0; i < 60; i++) {
    await jobs.run('rollup');
    if ((await usage.pendingSessionKeys(1)).length === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error('demo: the usage rollup did not finish last month\'s observations');
}

/** Bills the date this month starts on, then renders the PDFs of what was issued. */
export async function billLastMonth(plugin: RunningPlugin, firstStart: Date): Promise<DemoBilling> {
  const month = lastMonth(firstStart, plugin.ctx.config.billing.timezone);
  const period = month.to.toISODate()!;
  const billed = await billDate(plugin, period);
  return {
    period,
    month: month.label,
    invoiced: billed.invoicesIssued + billed.alreadyBilled,
    issuedNow: !billed.billedBefore && billed.invoicesIssued > 0,
    errors: billed.errors,
    pdfs: billed.pdfs,
  };
}

/**
 * The real billing run for one billing date (skipped when a finished run for it exists), then the
 * delivery job until the PDFs of what it issued are rendered.
 */
export async function billDate(
  plugin: RunningPlugin,
  period: string,
): Promise<{ month: string; invoicesIssued: number; alreadyBilled: number; billedBefore: boolean; errors: string[]; pdfs: { rendered: number; failed: number } }> {
  const { billing, delivery } = plugin.services.invoicing;
  const earlier = (await billing.runs(50)).find((r) => r.periodKey === period && !r.dryRun && r.status === 'finished' && r.accountsFailed === 0);
  const run = earlier ?? (await billing.run(period, { dryRun: false, by: 'system:demo' }));
  if (run.status !== 'finished') throw new Error(`demo: the billing run for ${period} ended ${run.status}: ${run.failure ?? ''}`);
  const pdfs = { rendered: 0, failed: 0 };
  // One run renders up to 50; the demo has fewer, but an earlier start may have left some.
  for (let i = 0; i < 10; i++) {
    const r = await delivery.job.runOnce();
    pdfs.rendered += r.documents.done;
    pdfs.failed += r.documents.failed + r.documents.retrying;
    if (r.ran && r.documents.done === 0) break;
    if (!r.ran) await new Promise((res) => setTimeout(res, 500));
  }
  const month = DateTime.fromISO(period, { zone: plugin.ctx.config.billing.timezone }).minus({ months: 1 }).setLocale('en').toFormat('LLLL yyyy');
  return {
    month,
    invoicesIssued: run.invoicesIssued,
    alreadyBilled: run.accountsAlreadyBilled,
    billedBefore: earlier !== undefined,
    errors: run.errors.map((e) => `account ${e.accountId}: ${e.message}`),
    pdfs,
  };
}
