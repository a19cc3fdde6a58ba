import { createHash } from 'node:crypto';
import { DateTime } from 'luxon';
import type { Clock } from '../common/clock.js';
import { ConflictError, errorMessage, OperationalError, ValidationError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { HostCharge, HostCustomer, HostPlatform, HostService } from './platform.js';
import type { HeldDocument, HostSyncRepository, StreamState, SyncStream } from './sync.repository.js';

/**
 * The host sync: one use case per stream, each resumable where it stopped.
 *
 * - customers, services: the host's records into Octet's accounts and services through the
 *   subscribers port (so usage keeps being assigned by login); a link row per record with a
 *   fingerprint of what was copied, so an unchanged record writes nothing and a second run
 *   creates nothing. The cursor is saved after every page.
 * - charges: every line of every issued Octet invoice and credit note of a linked account, posted
 *   once by its key `octet:inv:<invoice id>:<line index>` (`octet:cn:…` for a credit note). The
 *   provider writes the key into the host record and looks it up before posting, so a run that
 *   crashed after the host took the POST but before host_posted_charges was written finds it
 *   there and records it without posting again. A document of an account without a link is held
 *   (host_held_documents) and posted by the first pass after the account is linked.
 * - payments (dunning: octet): host payments into Octet's payments, source = the host kind,
 *   external id = the host's payment id (the payments module's unique index makes it once).
 * - blocking (dunning: host): the host's blocked customers mirrored into enforcement's desired
 *   state (suspended / active, cause dunning, actor host:<kind>); Octet's dunning must then not
 *   enforce (HostPlatform.owns.blocking, read by the composition root).
 *
 * An operational error (host down, database) stops the stream with its cursor where it was and
 * sets a backoff; a record the host or Octet refuses is recorded with its id and skipped.
 */
export interface SyncAccount {
  id: number;
  name: string;
  email: string | null;
  phone: string | null;
  currency: string;
  status: 'active' | 'suspended' | 'closed';
  externalId: string | null;
}

export interface SyncService {
  id: number;
  accountId: number;
  login: string;
  tariff: string | null;
  status: 'active' | 'suspended' | 'ended';
  startDate: string;
}

/** What the sync needs of subscribers, invoicing, payments and enforcement (their ports, as built). */
export interface HostSyncPorts {
  subscribers: {
    getAccount(id: number): Promise<SyncAccount>;
    createAccount(raw: Record<string, unknown>, actor: string): Promise<SyncAccount>;
    updateAccount(id: number, raw: Record<string, unknown>, actor: string): Promise<SyncAccount>;
    findAccountByExternalId(externalId: string): Promise<SyncAccount | null>;
    getService(id: number): Promise<SyncService>;
    createService(accountId: number, raw: Record<string, unknown>, actor: string): Promise<SyncService>;
    updateService(id: number, raw: Record<string, unknown>, actor: string): Promise<SyncService>;
    endService(id: number, raw: Record<string, unknown>, actor: string): Promise<SyncService>;
    /** The earliest end date the service takes: its start, or the last billing date that carries it (absent: its start). */
    earliestEndDate?(id: number): Promise<string>;
    findLiveServiceByLogin(login: string): Promise<SyncService | null>;
    liveServicesOf(accountId: number): Promise<SyncService[]>;
  };
  invoices: {
    /**
     * Issued documents (not drafts; an invoice voided by its credit note counts, as it was issued)
     * with an id above `afterId`, oldest first: invoices and credit notes (`type`), one id series.
     */
    issuedAfter(afterId: string, limit: number): Promise<HeldDocument[]>;
    lines(invoiceId: string): Promise<Array<{ description: string; quantity: string; unit: string; netMinor: bigint; taxPercent: string; periodFrom: string | null; periodTo: string | null; serviceId: number | null }>>;
  };
  payments: {
    record(p: { accountId: number; amountMinor: bigint; currency: string; method: 'other'; reference: string | null; receivedAt: Date; source: string; externalId: string }, actor: string): Promise<{ paymentId: string; duplicate: boolean }>;
  };
  enforcement: {
    setDesired(input: { serviceIds: number[]; desired: 'active' | 'suspended'; cause: { kind: 'dunning'; detail: string; actor: string } }): Promise<unknown>;
  };
}

export interface HostSyncOptions {
  host: HostPlatform;
  repo: HostSyncRepository;
  ports: HostSyncPorts;
  clock: Clock;
  logger: Logger;
  timezone: string;
  currency: string;
  /** Host tariff title (or id) → Octet tariff code. */
  tariffMap: Record<string, string>;
  /** Octet reads host payments (octet) or mirrors host blocking (host). */
  dunning: 'octet' | 'host';
  pageSize?: number;
}

export type CountKey = 'created' | 'updated' | 'unchanged' | 'skipped' | 'failed';
/** `held` (charges only): documents waiting for their account's link after the pass. */
export type StreamCounts = Record<CountKey, number> & { held?: number };

export interface StreamResult {
  stream: SyncStream;
  ran: boolean;
  counts: StreamCounts;
  error: string | null;
}

const zero = (): StreamCounts => ({ created: 0, updated: 0, unchanged: 0, skipped: 0, failed: 0 });
const fingerprint = (v: unknown) => createHash('sha256').update(JSON.stringify(v)).digest('hex');
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export class HostSyncService {
  private readonly actor: string;
  constructor(private readonly o: HostSyncOptions) {
    this.actor = `host:${o.host.kind}`;
  }

  private get host() {
    return this.o.host;
  }
  private get repo() {
    return this.o.repo;
  }
  private get pageSize() {
    return this.o.pageSize ?? 100;
  }
  private today(): string {
    return DateTime.fromJSDate(this.o.clock.now()).setZone(this.o.timezone).toISODate()!;
  }

  /** The streams this host and setting call for, in order (accounts before what refers to them). */
  streams(): SyncStream[] {
    const out: SyncStream[] = [];
    if (this.host.owns.customers) out.push('customers', 'services');
    if (this.host.owns.finance) out.push('charges');
    if (this.host.owns.customers && this.o.dunning === 'octet') out.push('payments');
    return out;
  }

  /** One run of every stream; `force` ignores the backoff of streams that failed (the "sync now" button). */
  async runOnce(options: { force?: boolean } = {}): Promise<StreamResult[]> {
    const results: StreamResult[] = [];
    for (const stream of this.streams()) results.push(await this.runStream(stream, options.force ?? false));
    return results;
  }

  async runStream(stream: SyncStream, force = false): Promise<StreamResult> {
    const state = await this.repo.state(stream);
    const now = this.o.clock.now();
    if (!force && state.nextAttemptAt && state.nextAttemptAt > now) return { stream, ran: false, counts: zero(), error: state.lastError };
    const counts = zero();
    await this.repo.saveState(stream, { lastRunAt: now });
    try {
      if (stream === 'customers') await this.customers(state, counts);
      else if (stream === 'services') await this.services(state, counts);
      else if (stream === 'charges') await this.charges(state, counts);
      else if (stream === 'payments') await this.payments(state, counts);
      await this.repo.saveState(stream, { lastOkAt: this.o.clock.now(), counts, lastError: null, failures: 0, nextAttemptAt: null });
      return { stream, ran: true, counts, error: null };
    } catch (err) {
      const message = errorMessage(err);
      const failures = state.failures + 1;
      // 1, 2, 4 … minutes, at most an hour: a host that is down is not hammered.
      const next = new Date(this.o.clock.now().getTime() + Math.min(60, 2 ** (failures - 1)) * 60_000);
      await this.repo.saveState(stream, { counts, lastError: message, failures, nextAttemptAt: next });
      await this.repo.recordError(stream, null, message);
      this.o.logger.warn('host sync stream failed', { host: this.host.kind, stream, failures, error: message });
      return { stream, ran: true, counts, error: message };
    }
  }

  /** A record-level refusal is recorded and skipped; anything operational ends the stream. */
  private async each<T>(stream: SyncStream, externalId: string, counts: StreamCounts, fn: () => Promise<CountKey>): Promise<T | void> {
    try {
      counts[await fn()]++;
    } catch (err) {
      if (err instanceof OperationalError || !(err instanceof ValidationError || err instanceof ConflictError)) throw err;
      counts.failed++;
      await this.repo.recordError(stream, externalId, errorMessage(err));
    }
  }

  private async customers(state: StreamState, counts: StreamCounts): Promise<void> {
    let cursor = state.cursor;
    for (;;) {
      const page = await this.host.listCustomers({ cursor, limit: this.pageSize });
      for (const c of page.items) await this.each('customers', c.externalId, counts, () => this.upsertCustomer(c));
      cursor = page.nextCursor ?? page.resumeFrom ?? null;
      await this.repo.saveState('customers', { cursor });
      if (!page.nextCursor) return;
    }
  }

  /** The account of a host customer, created or brought up to date. */
  async upsertCustomer(c: HostCustomer): Promise<CountKey> {
    const fields = {
      externalId: `${this.host.kind}:${c.externalId}`,
      name: c.name.slice(0, 200),
      email: c.email && EMAIL.test(c.email) ? c.email.slice(0, 254) : null,
      phone: c.phone?.slice(0, 50) ?? null,
      status: c.status === 'inactive' ? 'suspended' : 'active',
    };
    const print = fingerprint(fields);
    const link = await this.repo.link('customer', c.externalId);
    let outcome: CountKey;
    let accountId: number;
    if (link && link.fingerprint === print) {
      outcome = 'unchanged';
      accountId = link.octetId;
    } else if (link) {
      await this.o.ports.subscribers.updateAccount(link.octetId, fields, this.actor);
      accountId = link.octetId;
      outcome = 'updated';
    } else {
      // A crash between creating the account and saving the link leaves an account with our
      // external id: adopt it instead of failing on the duplicate.
      const existing = await this.o.ports.subscribers.findAccountByExternalId(fields.externalId);
      if (existing) {
        await this.o.ports.subscribers.updateAccount(existing.id, fields, this.actor);
        accountId = existing.id;
        outcome = 'updated';
      } else {
        accountId = (await this.o.ports.subscribers.createAccount({ ...fields, currency: this.o.currency }, this.actor)).id;
        outcome = 'created';
      }
    }
    if (outcome !== 'unchanged') await this.repo.saveLink('customer', { externalId: c.externalId, octetId: accountId, parentExternalId: null, fingerprint: print });
    if (this.o.dunning === 'host') await this.mirrorBlocking(c.externalId, accountId, c.status === 'blocked', link?.blocked ?? null);
    return outcome;
  }

  private async mirrorBlocking(customerExternalId: string, accountId: number, blocked: boolean, before: boolean | null): Promise<void> {
    if (before === blocked || (before === null && !blocked)) return;
    const services = await this.o.ports.subscribers.liveServicesOf(accountId);
    if (services.length) {
      await this.o.ports.enforcement.setDesired({
        serviceIds: services.map((s) => s.id),
        desired: blocked ? 'suspended' : 'active',
        cause: { kind: 'dunning', detail: blocked ? `${this.host.kind} blocked customer ${customerExternalId}` : `${this.host.kind} unblocked customer ${customerExternalId}`, actor: this.actor },
      });
    }
    await this.repo.setBlocked(customerExternalId, blocked);
  }

  private async services(state: StreamState, counts: StreamCounts): Promise<void> {
    let cursor = state.cursor;
    for (;;) {
      const page = await this.host.listServices({ cursor, limit: this.pageSize });
      for (const s of page.items) await this.each('services', s.externalId, counts, () => this.upsertService(s));
      cursor = page.nextCursor;
      await this.repo.saveState('services', { cursor });
      if (!cursor) return;
    }
  }

  private async accountOf(customerExternalId: string): Promise<number | null> {
    const link = await this.repo.link('customer', customerExternalId);
    if (link) return link.octetId;
    const c = await this.host.getCustomer(customerExternalId);
    if (!c) return null;
    await this.upsertCustomer(c);
    return (await this.repo.link('customer', customerExternalId))?.octetId ?? null;
  }

  private tariffOf(s: HostService): string | null {
    const name = s.tariffName ?? s.tariffExternalId;
    if (!name) return null;
    return this.o.tariffMap[name] ?? (s.tariffExternalId ? this.o.tariffMap[s.tariffExternalId] : undefined) ?? name;
  }

  async upsertService(s: HostService): Promise<CountKey> {
    const link = await this.repo.link('service', s.externalId);
    const subs = this.o.ports.subscribers;
    if (!s.login) return 'skipped';
    if (s.status === 'ended') {
      if (!link) return 'skipped';
      const current = await subs.getService(link.octetId);
      if (current.status === 'ended') return 'unchanged';
      // An end the host dates before what Octet may still change (the start, or a billing date
      // whose fee in advance was issued) is taken as that earliest date: the days between were
      // billed, and staff credit them if they should not have been.
      const earliest = (await subs.earliestEndDate?.(link.octetId)) ?? current.startDate;
      const wanted = s.endDate ?? this.today();
      await subs.endService(link.octetId, { endDate: wanted >= earliest ? wanted : earliest }, this.actor);
      return 'updated';
    }
    if (s.status === 'pending' && !link) return 'skipped';
    const accountId = await this.accountOf(s.customerExternalId);
    if (accountId === null) throw new ValidationError(`service ${s.externalId}: the host has no customer ${s.customerExternalId}`);
    const fields: Record<string, unknown> = { login: s.login, tariff: this.tariffOf(s), status: s.status === 'stopped' ? 'suspended' : 'active' };
    const print = fingerprint({ ...fields, accountId });
    if (link && link.fingerprint === print) return 'unchanged';
    const withTariff = async <T>(fn: (f: Record<string, unknown>) => Promise<T>): Promise<T> => {
      try {
        return await fn(fields);
      } catch (err) {
        // A host tariff Octet's catalogue does not have: the service comes over without one (no
        // usage rating) and the page says which tariff to map.
        if (!(err instanceof ValidationError) || !err.issues.some((i) => i.field === 'tariff') || fields.tariff === null) throw err;
        await this.repo.recordError('services', s.externalId, `tariff "${String(fields.tariff)}" is not in Octet's catalogue: map it in host.${this.host.kind}.tariffMap`);
        return fn({ ...fields, tariff: null });
      }
    };
    let serviceId: number;
    let outcome: CountKey;
    if (link) {
      await withTariff((f) => subs.updateService(link.octetId, f, this.actor));
      serviceId = link.octetId;
      outcome = 'updated';
    } else {
      const held = await subs.findLiveServiceByLogin(s.login);
      if (held && held.accountId === accountId) {
        await withTariff((f) => subs.updateService(held.id, f, this.actor));
        serviceId = held.id;
        outcome = 'updated';
      } else if (held) {
        throw new ConflictError(`service ${s.externalId}: login "${s.login}" is held by Octet service #${held.id} of another account`);
      } else {
        serviceId = (await withTariff((f) => subs.createService(accountId, { ...f, startDate: s.startDate ?? this.today() }, this.actor))).id;
        outcome = 'created';
      }
    }
    await this.repo.saveLink('service', { externalId: s.externalId, octetId: serviceId, parentExternalId: s.customerExternalId, fingerprint: print });
    if (this.o.dunning === 'host' && outcome === 'created' && (await this.repo.link('customer', s.customerExternalId))?.blocked) {
      await this.o.ports.enforcement.setDesired({ serviceIds: [serviceId], desired: 'suspended', cause: { kind: 'dunning', detail: `${this.host.kind} blocked customer ${s.customerExternalId}`, actor: this.actor } });
    }
    return outcome;
  }

  /**
   * First the held documents whose account was linked since (ready), then the documents above
   * the cursor. A document of an account without a link is held (host_held_documents) before the
   * cursor passes it, and posted by a later pass once the account is linked.
   */
  private async charges(state: StreamState, counts: StreamCounts): Promise<void> {
    await this.postHeld(counts);
    let after = state.cursor ?? '0';
    for (;;) {
      const docs = await this.o.ports.invoices.issuedAfter(after, this.pageSize);
      const links = await this.repo.linksByOctet('customer', [...new Set(docs.map((d) => d.accountId))]);
      const unlinked = docs.filter((d) => !links.has(d.accountId));
      await this.repo.hold(unlinked);
      for (const doc of docs) {
        const account = links.get(doc.accountId);
        if (!account) counts.skipped++;
        else await this.postDocument(doc, account.externalId, counts);
        after = doc.id;
        await this.repo.saveState('charges', { cursor: after });
      }
      if (docs.length < this.pageSize) break;
    }
    counts.held = await this.repo.heldCount();
  }

  /** Held documents of accounts linked since they were held, a page at a time, each posted and then released. */
  private async postHeld(counts: StreamCounts): Promise<void> {
    let after = '0';
    for (;;) {
      const rows = await this.repo.readyHeld(after, this.pageSize);
      const links = await this.repo.linksByOctet('customer', [...new Set(rows.map((r) => r.accountId))]);
      await this.repo.unready([...new Set(rows.filter((r) => !links.has(r.accountId)).map((r) => r.accountId))]);
      for (const doc of rows) {
        const account = links.get(doc.accountId);
        if (account) {
          await this.postDocument(doc, account.externalId, counts);
          await this.repo.release(doc.id);
        }
        after = doc.id;
      }
      if (rows.length < this.pageSize) return;
    }
  }

  /**
   * Every non-zero line of one Octet document, once by its key: `octet:inv:<id>:<line>` for an
   * invoice, `octet:cn:<id>:<line>` for a credit note (its amounts as on the credit note: positive,
   * a discount taken back negative; the provider turns them into the host's credit records).
   */
  private async postDocument(doc: HeldDocument, customerExternalId: string, counts: StreamCounts): Promise<void> {
    const lines = await this.o.ports.invoices.lines(doc.id);
    const serviceLinks = await this.repo.linksByOctet('service', lines.map((l) => l.serviceId).filter((x): x is number => x !== null));
    const prefix = doc.type === 'credit_note' ? 'octet:cn' : 'octet:inv';
    const issueDate = doc.issueDate ?? this.today();
    const charges: HostCharge[] = lines
      .map((l, i) => ({ l, i }))
      .filter(({ l }) => l.netMinor !== 0n)
      .map(({ l, i }) => ({
        key: `${prefix}:${doc.id}:${i}`,
        customerExternalId,
        serviceExternalId: l.serviceId === null ? null : (serviceLinks.get(l.serviceId)?.externalId ?? null),
        description: l.description,
        quantity: l.quantity,
        unit: l.unit || null,
        amountMinor: l.netMinor,
        taxPercent: l.taxPercent,
        currency: doc.currency,
        date: issueDate,
        periodFrom: l.periodFrom,
        periodTo: l.periodTo,
        document: { key: `${prefix}:${doc.id}`, number: doc.number ?? doc.id, issueDate, dueDate: doc.dueDate, type: doc.type },
      }));
    const done = await this.repo.postedKeys(charges.map((c) => c.key));
    const todo = charges.filter((c) => !done.has(c.key));
    counts.unchanged += charges.length - todo.length;
    if (!todo.length) return;
    const posted = await this.host.postCharges(todo);
    await this.repo.savePosted(posted.map((p) => ({ key: p.key, invoiceId: doc.id, externalId: p.externalId, foundExisting: p.duplicate })));
    for (const p of posted) counts[p.duplicate ? 'unchanged' : 'created']++;
  }

  private async payments(state: StreamState, counts: StreamCounts): Promise<void> {
    let cursor = state.cursor;
    for (;;) {
      const page = await this.host.readPayments({ cursor, limit: this.pageSize });
      for (const p of page.items) {
        await this.each('payments', p.externalId, counts, async () => {
          const accountId = await this.accountOf(p.customerExternalId);
          if (accountId === null) throw new ValidationError(`payment ${p.externalId}: the host has no customer ${p.customerExternalId}`);
          const r = await this.o.ports.payments.record(
            { accountId, amountMinor: p.amountMinor, currency: p.currency, method: 'other', reference: p.reference, receivedAt: DateTime.fromISO(p.date, { zone: this.o.timezone }).set({ hour: 12 }).toJSDate(), source: this.host.kind, externalId: p.externalId },
            this.actor,
          );
          return r.duplicate ? 'unchanged' : 'created';
        });
      }
      cursor = page.nextCursor ?? page.resumeFrom ?? cursor;
      await this.repo.saveState('payments', { cursor });
      if (!page.nextCursor) return;
    }
  }

  /** What the /host page and GET /api/v1/host/sync show. */
  async status(): Promise<{ kind: string; owns: HostPlatform['owns']; streams: Array<StreamState & { active: boolean }>; postedCharges: number; heldDocuments: number; errors: Awaited<ReturnType<HostSyncRepository['recentErrors']>> }> {
    const active = new Set(this.streams());
    const streams = (await this.repo.states()).filter((s) => s.stream !== 'blocking').map((s) => ({ ...s, active: active.has(s.stream) }));
    return { kind: this.host.kind, owns: this.host.owns, streams, postedCharges: await this.repo.postedCount(), heldDocuments: await this.repo.heldCount(), errors: await this.repo.recentErrors() };
  }
}
