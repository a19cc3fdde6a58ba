import { ConflictError, NotFoundError, UserError, ValidationError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { parseCamt053 } from './camt053.js';
import { parseCsvStatement, validateMapping, type CsvMapping } from './csv-statement.js';
import { matchCandidates } from './matching.js';
import type { MatchLookups, PaymentMethod, RecordPort } from './ports.js';
import type { ReadStatement, StatementLine } from './statement-line.js';
import type { StatementsRepository, UnmatchedLine } from './statements.repository.js';

export type StatementKind = 'camt053' | 'csv';
export type LineMatch = { accountId: number; invoiceId: string | null; via: string } | { accountId: null; reason: string };

export interface PreviewLine {
  line: StatementLine;
  match: LineMatch;
  /** Already waiting in the queue from an earlier import of this statement. */
  queued: boolean;
}

export interface ImportReport {
  statements: Array<{ source: string; statementId: string | null }>;
  recorded: number;
  duplicates: number;
  queued: number;
  alreadyQueued: number;
  skipped: Array<{ externalId: string; reason: string }>;
}

interface Audit {
  record(e: { actor: string; action: string; entityType?: string; entityId?: string | number; details?: Record<string, unknown> }): Promise<void>;
}

/** Queued gateway payments keep their method when a person assigns them. */
function methodOf(source: string): PaymentMethod {
  return source.startsWith('camt053:') || source.startsWith('csv:') ? 'bank_transfer' : source === 'stripe' ? 'card' : 'other';
}

/**
 * Reads a statement, matches each credit to an account (by invoice number, then account id, then
 * external id) and records the matched ones through the payments port with the bank's entry
 * reference as externalId, so the same statement imported twice records nothing twice. Unmatched
 * lines wait in the queue (one row per bank entry) for a person to assign or dismiss.
 */
export class StatementImportService {
  constructor(private readonly deps: { repo: StatementsRepository; lookups: MatchLookups; payments: RecordPort; audit: Audit; logger: Logger }) {}

  async mapping(bank: string): Promise<CsvMapping> {
    const found = (await this.deps.repo.mappings()).find((m) => m.bank === bank);
    if (!found) throw new ValidationError(`there is no CSV mapping for bank ${JSON.stringify(bank)}: save one first`, [{ field: 'bank', message: 'no saved mapping' }]);
    return validateMapping(found.mapping);
  }

  async saveMapping(raw: unknown, actor: string): Promise<CsvMapping> {
    const mapping = validateMapping(raw);
    await this.deps.repo.saveMapping(mapping.bank, mapping, actor);
    await this.deps.audit.record({ actor, action: 'statements.mapping.save', entityType: 'statement_csv_mapping', entityId: mapping.bank, details: { ...mapping } });
    return mapping;
  }

  /** Parses a file whole; a malformed one throws a ValidationError naming where, and nothing is read. */
  async read(kind: StatementKind, content: string, bank: string | null): Promise<ReadStatement[]> {
    if (kind === 'camt053') return parseCamt053(content).statements;
    if (!bank) throw new ValidationError('choose the bank whose column mapping reads this CSV file', [{ field: 'bank', message: 'required for CSV' }]);
    return [parseCsvStatement(content, await this.mapping(bank))];
  }

  async match(line: StatementLine): Promise<LineMatch> {
    const { lookups } = this.deps;
    const c = matchCandidates(line);
    const found: Array<{ accountId: number; currency: string; invoiceId: string | null; via: string }> = [];
    for (const n of c.invoiceNumbers) {
      const inv = await lookups.invoiceByNumber(n);
      // Only an open invoice takes the allocation; a paid or void one still names its account.
      if (inv) found.push({ accountId: inv.accountId, currency: inv.currency, invoiceId: inv.status === 'issued' || inv.status === 'sent' ? inv.id : null, via: `invoice ${n}` });
    }
    if (found.length === 0) {
      for (const id of c.accountIds) {
        const a = await lookups.accountById(id);
        if (a) found.push({ accountId: a.id, currency: a.currency, invoiceId: null, via: `account ${id}` });
      }
    }
    if (found.length === 0) {
      for (const ext of c.externalIds) {
        const a = await lookups.accountByExternalId(ext);
        if (a) found.push({ accountId: a.id, currency: a.currency, invoiceId: null, via: `customer reference ${ext}` });
      }
    }
    const accounts = [...new Set(found.map((f) => f.accountId))];
    if (accounts.length === 0) {
      const named = [...c.invoiceNumbers.map((n) => `invoice ${n}`), ...c.accountIds.map((n) => `account ${n}`)];
      return { accountId: null, reason: named.length ? `${named.join(', ')} not found` : 'no invoice number or customer reference in the text' };
    }
    if (accounts.length > 1) return { accountId: null, reason: `the text names several accounts (${found.map((f) => f.via).join(', ')})` };
    const first = found[0]!;
    if (first.currency !== line.currency) return { accountId: null, reason: `paid in ${line.currency}, but account ${first.accountId} is billed in ${first.currency}` };
    const invoices = [...new Set(found.map((f) => f.invoiceId).filter((x): x is string => x !== null))];
    return { accountId: first.accountId, invoiceId: invoices.length === 1 ? invoices[0]! : null, via: found.map((f) => f.via).join(', ') };
  }

  async preview(statements: ReadStatement[]): Promise<PreviewLine[]> {
    const out: PreviewLine[] = [];
    for (const s of statements) {
      for (const line of s.lines) out.push({ line, match: await this.match(line), queued: await this.deps.repo.isQueued(s.source, line.externalId) });
    }
    return out;
  }

  async import(statements: ReadStatement[], actor: string): Promise<ImportReport> {
    const report: ImportReport = { statements: statements.map((s) => ({ source: s.source, statementId: s.statementId })), recorded: 0, duplicates: 0, queued: 0, alreadyQueued: 0, skipped: statements.flatMap((s) => s.skipped) };
    for (const s of statements) {
      for (const line of s.lines) {
        // A line already waiting for a person stays theirs: a re-import neither records nor re-queues it.
        if (await this.deps.repo.isQueued(s.source, line.externalId)) {
          report.alreadyQueued++;
          continue;
        }
        const m = await this.match(line);
        if (m.accountId === null) {
          if (await this.deps.repo.enqueue(s.source, s.statementId, line, m.reason)) report.queued++;
          else report.alreadyQueued++;
          continue;
        }
        let r: { duplicate: boolean };
        try {
          r = await this.record(s.source, line, m.accountId, m.invoiceId, actor);
        } catch (err) {
          // Payments refused this one line (its own rules): it waits for a person with the reason,
          // and the rest of the statement goes on. Operational errors abort; a re-import resumes.
          if (!(err instanceof UserError)) throw err;
          if (await this.deps.repo.enqueue(s.source, s.statementId, line, `payments refused it: ${err.message}`)) report.queued++;
          continue;
        }
        if (r.duplicate) report.duplicates++;
        else report.recorded++;
      }
    }
    this.deps.logger.info('bank statement imported', { sources: report.statements.map((s) => s.source), recorded: report.recorded, duplicates: report.duplicates, queued: report.queued });
    await this.deps.audit.record({ actor, action: 'statements.import', entityType: 'statement', entityId: report.statements.map((s) => s.statementId ?? s.source).join(',').slice(0, 60), details: { ...report, skipped: report.skipped.length } });
    return report;
  }

  private record(source: string, line: StatementLine, accountId: number, invoiceId: string | null, actor: string) {
    return this.deps.payments.record(
      {
        accountId,
        amountMinor: line.amountMinor,
        currency: line.currency,
        method: methodOf(source),
        reference: (line.remittance || line.references[0] || line.endToEndId || '').slice(0, 200) || null,
        // The money arrived on the value date (or the booking date): UTC midnight of that day.
        receivedAt: new Date(`${line.valueDate ?? line.bookingDate}T00:00:00Z`),
        source,
        externalId: line.externalId,
        ...(invoiceId ? { allocateTo: invoiceId } : {}),
      },
      actor,
    );
  }

  unmatched(status: 'open' | 'assigned' | 'dismissed' = 'open'): Promise<UnmatchedLine[]> {
    return this.deps.repo.list(status);
  }

  /** A person names the account (or an invoice) of a queued line: it is recorded as if it had matched. */
  async assign(id: string, target: { accountId?: number; invoiceNumber?: string }, actor: string): Promise<{ paymentId: string; duplicate: boolean }> {
    const item = await this.open(id);
    let accountId = target.accountId ?? null;
    let invoiceId: string | null = null;
    if (target.invoiceNumber) {
      const inv = await this.deps.lookups.invoiceByNumber(target.invoiceNumber.trim().toUpperCase());
      if (!inv) throw new ValidationError(`there is no invoice ${target.invoiceNumber}`, [{ field: 'invoiceNumber', message: 'no such invoice' }]);
      accountId = inv.accountId;
      invoiceId = inv.status === 'issued' || inv.status === 'sent' ? inv.id : null;
    }
    if (accountId === null) throw new ValidationError('name an account id or an invoice number', [{ field: 'accountId', message: 'required' }]);
    const account = await this.deps.lookups.accountById(accountId);
    if (!account) throw new ValidationError(`there is no account ${accountId}`, [{ field: 'accountId', message: 'no such account' }]);
    if (account.currency !== item.currency) throw new ValidationError(`the line is in ${item.currency}, account ${accountId} is billed in ${account.currency}`, [{ field: 'accountId', message: 'other currency' }]);
    const line: StatementLine = { externalId: item.externalId, amountMinor: item.amountMinor, currency: item.currency, bookingDate: item.bookingDate, valueDate: null, remittance: item.remittance, references: [], endToEndId: item.endToEndId, payer: item.payer };
    const r = await this.record(item.source, line, accountId, invoiceId, actor);
    if (!(await this.deps.repo.resolve(id, { status: 'assigned', accountId, paymentId: r.paymentId, resolution: invoiceId ? `invoice ${target.invoiceNumber}` : `account ${accountId}`, actor }))) {
      // Recorded already by whoever resolved it first: record() was idempotent, nothing doubled.
      throw new ConflictError('this line was resolved by someone else meanwhile');
    }
    await this.deps.audit.record({ actor, action: 'statements.unmatched.assign', entityType: 'statement_unmatched', entityId: id, details: { accountId, invoiceId, paymentId: r.paymentId } });
    return r;
  }

  async dismiss(id: string, reason: string, actor: string): Promise<void> {
    const why = reason.trim();
    if (why.length < 3) throw new ValidationError('say why the line is dismissed (at least 3 characters)', [{ field: 'reason', message: 'required' }]);
    await this.open(id);
    if (!(await this.deps.repo.resolve(id, { status: 'dismissed', accountId: null, paymentId: null, resolution: why, actor }))) throw new ConflictError('this line was resolved by someone else meanwhile');
    await this.deps.audit.record({ actor, action: 'statements.unmatched.dismiss', entityType: 'statement_unmatched', entityId: id, details: { reason: why } });
  }

  private async open(id: string): Promise<UnmatchedLine> {
    const item = /^\d{1,19}$/.test(id) ? await this.deps.repo.get(id) : null;
    if (!item) throw new NotFoundError(`there is no unmatched statement line ${id}`);
    if (item.status !== 'open') throw new ConflictError(`this line was ${item.status} already`);
    return item;
  }
}
