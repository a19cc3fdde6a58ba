import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { DateTime } from 'luxon';
import type { Simulator } from '../../../agent/simulator/index.js';
import type { Logger } from '../../common/logger.js';
import { FairUseJob } from '../../enforcement/index.js';
import type { RunningPlugin } from '../../main.js';
import { billDate } from './demo-billing.js';
import type { DemoClock } from './demo-clock.js';

/**
 * The demo's story, told on the demo clock while the traffic runs: payments come in for last
 * month's invoices from everyone but one customer; the clock jumps to the end of the month (a
 * month of traffic moves), that customer's invoice is overdue and dunning suspends him on the
 * router, while a fair-use subscriber crosses her cap and is throttled; the clock jumps to the
 * billing day and the billing run issues the month's invoices with their PDFs (and the new period
 * lifts the throttle); the customer pays and is restored on the router within seconds.
 * Every act uses the plugin's own services (the billing run, dunning, the fair-use check,
 * payments) exactly as staff or the scheduler would; the demo only moves the clock and pays.
 * Each act is done once per demo database (kept in a file beside it), so a restart goes on.
 */
export const STORY_LOGIN = 'user0004';
export const FAIR_USE_LOGIN = 'user0006';

export type StoryAct = 'payments' | 'month-end' | 'billing-day' | 'payment';

export interface StoryEvent {
  act: StoryAct;
  /** The demo clock when the act happened, as an ISO instant. */
  at: string;
  /** One line for the terminal, in the newcomer's words. */
  line: string;
}

export interface StoryOptions {
  plugin: RunningPlugin;
  clock: DemoClock;
  router: Simulator;
  /** Seconds of wall time between acts. */
  paceSeconds: number;
  /** Instead of the pace: resolves when the next act may start (a test looks at the pages in between). */
  waitForNext?: (act: StoryAct) => Promise<void>;
  /** The agent's poll interval: how long the router's new counters take to reach the plugin. */
  pollSeconds: number;
  stateFile: string;
  logger: Logger;
  onEvent: (e: StoryEvent) => void;
}

export interface RunningStory {
  /** Resolves when the last act is done (or the story was stopped). */
  done: Promise<StoryEvent[]>;
  stop(): void;
}

const ACTS: StoryAct[] = ['payments', 'month-end', 'billing-day', 'payment'];

export function startStory(options: StoryOptions): RunningStory {
  let stopped = false;
  let wake: (() => void) | null = null;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  const done = (async () => {
    const events: StoryEvent[] = [];
    const state = readState(options.stateFile);
    for (const act of ACTS) {
      if (state.done.includes(act)) continue;
      await (options.waitForNext ? Promise.race([options.waitForNext(act), new Promise<void>((r) => (wake = r))]) : sleep(options.paceSeconds * 1000));
      if (stopped) break;
      try {
        const line = await runAct(act, options);
        const event = { act, at: options.clock.now().toISOString(), line };
        events.push(event);
        state.done.push(act);
        writeState(options.stateFile, state);
        options.onEvent(event);
      } catch (err) {
        if (stopped) break;
        options.logger.error('demo: the story stopped', { act, err });
        options.onEvent({ act, at: options.clock.now().toISOString(), line: `The story stopped at "${act}": ${(err as Error).message}` });
        break;
      }
    }
    return events;
  })();
  return {
    done,
    stop: () => {
      stopped = true;
      wake?.();
    },
  };
}

async function runAct(act: StoryAct, o: StoryOptions): Promise<string> {
  const { plugin, clock } = o;
  const tz = plugin.ctx.config.billing.timezone;
  const local = () => DateTime.fromJSDate(clock.now(), { zone: tz });
  const fmt = (d: DateTime) => d.toFormat('d LLLL yyyy HH:mm');
  const url = plugin.url;
  switch (act) {
    case 'payments': {
      const story = await serviceOf(plugin, STORY_LOGIN);
      const alan = await serviceOf(plugin, 'user0002');
      const skip = new Set([story.accountId, alan.accountId]);
      const paid = await payOpenInvoices(plugin, clock, 'bank_transfer', (accountId) => !skip.has(accountId));
      return `Payments: ${paid} customers paid last month's invoices by bank transfer; Edsger Dijkstra did not (${url}/payments)`;
    }
    case 'month-end': {
      clock.jumpTo(local().endOf('month').minus({ minutes: 10 }).toJSDate());
      await waitForPolls(o);
      const dunning = await plugin.services.dunning.dunning.evaluate({ dryRun: false, actor: 'system:demo' });
      const fairUse = await fairUseJob(plugin).run();
      const story = await serviceOf(plugin, STORY_LOGIN);
      const frances = await serviceOf(plugin, FAIR_USE_LOGIN);
      await until(() => hasAddressListEntry(o.router, story.id), 20_000, 'the suspension did not reach pop-north');
      await until(() => hasQueue(o.router, frances.id), 20_000, 'the throttle did not reach pop-north');
      const suspended = dunning.suspended.length;
      return [
        `Demo clock → ${fmt(local())}: a month of traffic later.`,
        `    Edsger Dijkstra's invoice is overdue: dunning suspended ${suspended} account${suspended === 1 ? '' : 's'}; pop-north now lists him in octet-suspended (${url}/enforcement)`,
        `    Frances Allen passed her fair-use cap (500 GB a month, prorated from the day she joined): throttled to 2M/2M by a simple queue on pop-north (${fairUse.throttled.length} throttled)`,
      ].join('\n');
    }
    case 'billing-day': {
      clock.jumpTo(local().plus({ months: 1 }).startOf('month').plus({ minutes: 30 }).toJSDate());
      await waitForPolls(o);
      const period = local().startOf('month').toISODate()!;
      const billed = await billDate(plugin, period);
      const fairUse = await fairUseJob(plugin).run();
      const frances = await serviceOf(plugin, FAIR_USE_LOGIN);
      await until(() => !hasQueue(o.router, frances.id), 20_000, 'the throttle was not lifted on pop-north');
      return [
        `Demo clock → ${fmt(local())}: billing day.`,
        `    The billing run issued ${billed.invoicesIssued} invoices for ${billed.month}, ${billed.pdfs.rendered} PDFs rendered (${url}/billing/runs, ${url}/invoices)`,
        `    A new period: Frances Allen's throttle is lifted (${fairUse.restored.length} restored)`,
      ].join('\n');
    }
    case 'payment': {
      const story = await serviceOf(plugin, STORY_LOGIN);
      const paying = Date.now();
      const paid = await payOpenInvoices(plugin, clock, 'card', (accountId) => accountId === story.accountId);
      if (paid === 0) throw new Error('Edsger Dijkstra had nothing to pay');
      const paidAt = Date.now();
      await until(() => !hasAddressListEntry(o.router, story.id), 60_000, 'the restoration did not reach pop-north');
      const seconds = ((Date.now() - paidAt) / 1000).toFixed(1);
      const recording = ((paidAt - paying) / 1000).toFixed(1);
      return `Edsger Dijkstra paid by card (recorded in ${recording} s): restored on pop-north ${seconds} s after the payment was recorded (${url}/accounts/${story.accountId})`;
    }
  }
}

async function serviceOf(plugin: RunningPlugin, login: string): Promise<{ id: number; accountId: number }> {
  const s = (await plugin.services.subscribers.subscribers.listServices({ login }, 1)).items[0];
  if (!s) throw new Error(`the demo has no service for ${login}`);
  return { id: s.id, accountId: s.accountId };
}

/** Pays every open invoice of the chosen accounts in full, once (keyed by the invoice number). */
async function payOpenInvoices(plugin: RunningPlugin, clock: DemoClock, method: 'bank_transfer' | 'card', which: (accountId: number) => boolean): Promise<number> {
  const { invoices } = plugin.services.invoicing;
  const payers = new Set<number>();
  for (let offset = 0; ; offset += 200) {
    const { rows } = await invoices.list({ type: 'invoice' }, { limit: 200, offset });
    if (rows.length === 0) break;
    for (const inv of rows) {
      if (!which(inv.accountId) || !['issued', 'sent'].includes(inv.status) || inv.totalMinor === 0n) continue;
      await plugin.services.payments.record(
        { accountId: inv.accountId, amountMinor: inv.totalMinor, currency: inv.currency, method, reference: inv.number, receivedAt: clock.now(), source: 'demo', externalId: `paid-${inv.number}`, allocateTo: inv.id },
        'system:demo',
      );
      payers.add(inv.accountId);
    }
    if (rows.length < 200) break;
  }
  return payers.size;
}

/** The fair-use check the scheduler runs every few minutes, run now. */
function fairUseJob(plugin: RunningPlugin): FairUseJob {
  const { services, ctx } = plugin;
  return new FairUseJob({
    billing: services.subscribers.billing,
    tariffs: services.tariffs.port,
    usage: services.billingUsage,
    enforcement: services.enforcement.enforcement,
    clock: ctx.clock,
    logger: ctx.logger,
    timezone: ctx.config.billing.timezone,
    cycle: ctx.config.billing.cycle,
  });
}

/** Two polls and a rollup: the counters the router has after a jump are in hourly usage. */
async function waitForPolls(o: StoryOptions): Promise<void> {
  await new Promise((r) => setTimeout(r, (o.pollSeconds * 2 + 1) * 1000));
  const { jobs, usage } = o.plugin.services.usage;
  for (let i = 0; i < 30; i++) {
    await jobs.run('rollup');
    if ((await usage.pendingSessionKeys(1)).length === 0) return;
    await new Promise((r) => setTimeout(r, 500));
  }
}

function hasAddressListEntry(router: Simulator, serviceId: number): boolean {
  return [...router.model.addressList.values()].some((e) => e.list === 'octet-suspended' && e.comment === `octet:${serviceId}`);
}

function hasQueue(router: Simulator, serviceId: number): boolean {
  return [...router.model.queues.values()].some((q) => q.comment === `octet:${serviceId}`);
}

async function until(check: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(what);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function readState(file: string): { done: StoryAct[] } {
  if (!existsSync(file)) return { done: [] };
  const saved = JSON.parse(readFileSync(file, 'utf8')) as { done?: unknown };
  return { done: Array.isArray(saved.done) ? saved.done.filter((a): a is StoryAct => ACTS.includes(a as StoryAct)) : [] };
}

function writeState(file: string, state: { done: StoryAct[] }): void {
  writeFileSync(`${file}.tmp`, JSON.stringify(state) + '\n');
  renameSync(`${file}.tmp`, file);
}
