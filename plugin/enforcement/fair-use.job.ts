import type { Clock } from '../common/clock.js';
import type { Logger } from '../common/logger.js';
import { Dec } from '../common/money.js';
import { cycleFor, dayOffset, localMidnight, periodAt, type Cycle } from '../rating/index.js';
import type { SubscribersBillingPort } from '../subscribers/index.js';
import { versionAt, type TariffsPort } from '../tariffs/index.js';
import type { BillingUsagePort } from '../usage/index.js';
import type { EnforcementService } from './enforcement.service.js';
import { fairUseAction } from './fair-use.js';

const BUCKET_MS = 15 * 60_000;

function localDate(ms: number, timezone: string): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
}

function nextDay(date: string): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

/**
 * Every few minutes: each running service whose tariff (the version in effect at the period's
 * start, as billing rates it) has a fair-use cap is throttled once its usage in the current
 * period passes the cap, and made active again when a new period starts. Setting a state is
 * idempotent, so two plugin instances running this at once change nothing twice.
 */
export class FairUseJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly deps: {
      billing: Pick<SubscribersBillingPort, 'billableAccounts' | 'services'>;
      tariffs: Pick<TariffsPort, 'versionsByCode'>;
      usage: Pick<BillingUsagePort, 'billableUsage'>;
      enforcement: EnforcementService;
      clock: Clock;
      logger: Logger;
      timezone: string;
      cycle: Cycle;
    },
  ) {}

  /** One pass; returns what it changed. */
  async run(): Promise<{ checked: number; throttled: number[]; restored: number[] }> {
    const { deps } = this;
    const nowMs = deps.clock.now().getTime();
    const toMs = Math.floor(nowMs / BUCKET_MS) * BUCKET_MS;
    const today = localDate(nowMs, deps.timezone);
    const out = { checked: 0, throttled: [] as number[], restored: [] as number[] };
    let afterId = 0;
    for (;;) {
      // [today, tomorrow): the services running today, one starting today included.
      const accounts = await deps.billing.billableAccounts(today, nextDay(today), afterId, 200);
      if (accounts.length === 0) break;
      afterId = accounts[accounts.length - 1]!;
      const services = [...(await deps.billing.services(accounts)).values()].flat().filter((s) => s.status !== 'ended' && s.startDate <= today && (s.endDate === null || s.endDate >= today));
      const codes = new Set<string>();
      const current = services.map((s) => ({ s, code: [...s.tariffs].reverse().find((h) => h.fromMs <= nowMs)?.code ?? null }));
      for (const c of current) if (c.code) codes.add(c.code);
      const catalogue = await deps.tariffs.versionsByCode([...codes]);
      const states = await deps.enforcement.stateOf(services.map((s) => s.id));
      for (const { s, code } of current) {
        const versions = code ? catalogue.get(code)?.versions : undefined;
        if (!versions || versions.length === 0) continue;
        const startMs = localMidnight(s.startDate, deps.timezone);
        const period = periodAt(nowMs, cycleFor(deps.cycle, deps.timezone, startMs));
        const tariff = versionAt(versions, period.fromMs).tariff;
        const st = states.get(s.id);
        if (!tariff.fairUse && !(st?.desired === 'throttled' && st.cause.kind === 'fair_use')) continue;
        out.checked++;
        const fromMs = Math.max(period.fromMs, Math.floor(startMs / BUCKET_MS) * BUCKET_MS);
        const usage = toMs > fromMs ? await deps.usage.billableUsage(s.id, fromMs, toMs, { bands: tariff.timeBands.map((b) => ({ name: b.name, from: b.from, to: b.to })) }) : { bands: [] };
        // The cap is prorated as the invoice prorates it: by the days of the period the service runs.
        const endMs = s.endDate === null ? period.toMs : localMidnight(nextDay(s.endDate), deps.timezone);
        const share = new Dec(Math.max(0, dayOffset(endMs, period, deps.timezone, 'ceil') - dayOffset(startMs, period, deps.timezone, 'floor'))).div(period.days);
        const action = fairUseAction(tariff, usage, { desired: st?.desired ?? 'active', rate: st?.rate ?? null, causeKind: st?.cause.kind ?? null }, localDate(period.fromMs, deps.timezone), share);
        if (!action) continue;
        const [r] = await deps.enforcement.setDesired({ serviceIds: [s.id], desired: action.desired, rate: action.desired === 'throttled' ? action.rate : null, cause: { kind: 'fair_use', detail: action.detail, actor: 'system:fair-use' } });
        if (r?.changed) (action.desired === 'throttled' ? out.throttled : out.restored).push(s.id);
      }
    }
    if (out.throttled.length + out.restored.length > 0) deps.logger.info('fair use changed services', { throttled: out.throttled, restored: out.restored });
    return out;
  }

  start(everyMs: number): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.run()
        .catch((err) => this.deps.logger.warn('fair use check failed; next run retries', { err }))
        .finally(() => (this.running = null));
    }, everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
