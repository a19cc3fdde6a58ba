import { expect } from 'chai';
import type { Account } from '../../../../plugin/subscribers/accounts.repository.js';
import { parseAccountsCsv } from '../../../../plugin/subscribers/import/csv.js';
import { countPlan, planImport, type PlanLookups } from '../../../../plugin/subscribers/import/plan.js';
import type { Service } from '../../../../plugin/subscribers/services.repository.js';

const T = new Date('2026-01-01T00:00:00Z');

function account(over: Partial<Account>): Account {
  return {
    id: 1, externalId: 'A-1', name: 'Ada', email: null, phone: null, addressLine1: null, addressLine2: null, city: null, postalCode: null,
    country: null, taxId: null, taxExempt: false, taxExemptReason: null, taxName: null, taxPercent: null, paymentTermsDays: null, billingEmail: null,
    currency: 'EUR', status: 'active', createdAt: T, updatedAt: T, ...over,
  };
}

function service(over: Partial<Service>): Service {
  return { id: 10, accountId: 1, login: 'ada', tariff: null, nasName: null, status: 'active', startDate: '2026-01-01', endDate: null, createdAt: T, updatedAt: T, ...over };
}

function lookups(accounts: Account[] = [], services: Service[] = []): PlanLookups {
  const byAccount = new Map<number, Service[]>();
  for (const s of services) byAccount.set(s.accountId, [...(byAccount.get(s.accountId) ?? []), s]);
  return {
    accountsByExternalId: new Map(accounts.map((a) => [a.externalId!, a])),
    liveServicesByLogin: new Map(services.map((s) => [s.login, s])),
    liveServicesByAccount: byAccount,
    today: '2026-03-01',
    defaultCurrency: 'EUR',
    tariffProblems: new Map(),
    tariffHistory: new Map(),
    timezone: 'UTC',
  };
}

const plan = (text: string, l = lookups()) => planImport(parseAccountsCsv(text), l);

describe('planning an accounts import', () => {
  it('creates a new account with defaults and a service starting today', () => {
    const p = plan('external_id,name,login\nN-1,New,new-login\n');
    expect(p.errors).to.deep.equal([]);
    expect(p.accounts[0]!.create).to.include({ name: 'New', currency: 'EUR', status: 'active', externalId: 'N-1' });
    expect(p.services[0]!.create).to.deep.equal({ login: 'new-login', tariff: null, nasName: null, startDate: '2026-03-01', status: 'active' });
  });

  it('leaves an existing account alone when the file says what it already holds', () => {
    const p = plan('external_id,name,login\nA-1,Ada,ada\n', lookups([account({})], [service({})]));
    expect(countPlan(p)).to.deep.equal({ accountsCreated: 0, accountsUpdated: 0, accountsUnchanged: 1, servicesCreated: 0, servicesUpdated: 0, servicesUnchanged: 1 });
  });

  it('changes only the columns the file has', () => {
    const p = plan('external_id,name,city\nA-1,Ada,Paris\n', lookups([account({ email: 'keep@example.net' })]));
    expect(p.accounts[0]!.changes).to.deep.equal({ city: { from: null, to: 'Paris' } });
  });

  it('gives one account several services over several lines', () => {
    const p = plan('external_id,name,login\nA-1,Ada,one\nA-1,Ada,two\n');
    expect(p.accounts).to.have.length(1);
    expect(p.services.map((s) => s.login)).to.deep.equal(['one', 'two']);
  });

  it('refuses a login that a live service of another account has', () => {
    const p = plan('external_id,name,login\nB-1,Bea,ada\n', lookups([], [service({ accountId: 77 })]));
    expect(p.errors).to.deep.equal([{ line: 2, column: 'login', message: '"ada" is already used by a live service of another account (#77)' }]);
  });

  it('refuses to close an account that keeps live services', () => {
    const p = plan('external_id,name,status\nA-1,Ada,closed\n', lookups([account({})], [service({})]));
    expect(p.errors).to.deep.equal([{ line: 2, column: 'status', message: 'account A-1 cannot be closed while it has live services: end them first' }]);
  });

  it('wants a login when service columns are filled', () => {
    const p = plan('external_id,name,login,tariff\nA-1,Ada,,gold\n');
    expect(p.errors).to.deep.equal([{ line: 2, column: 'tariff', message: 'is filled but login is empty: a service needs its login' }]);
  });

  it('requires the external id on every line', () => {
    const p = plan('external_id,name\n,Nobody\n');
    expect(p.errors).to.deep.equal([{ line: 2, column: 'external_id', message: 'is required: it is how a re-import finds the same account' }]);
  });

  it('reports a duplicate login even when the first line has other problems', () => {
    const p = plan('external_id,name,email,login\nA-1,Ada,bad,x\nB-1,Bea,,x\n');
    expect(p.errors.map((e) => `${e.line}:${e.column}`)).to.deep.equal(['2:email', '3:login']);
  });

  describe('tariffs and tax', () => {
    const withCatalogue = (l: PlanLookups) => ({
      ...l,
      tariffProblems: new Map([
        ['gold', 'no tariff with code gold: create it on the Tariffs page'],
        ['old-plan', 'tariff old-plan is archived'],
      ]),
    });

    it('makes a bad tariff a row error on the tariff column, and plans nothing for the row', () => {
      const p = plan('external_id,name,login,tariff\nN-1,New,one,gold\nN-1,New,two,home-100\n', withCatalogue(lookups()));
      expect(p.errors).to.deep.equal([{ line: 2, column: 'tariff', message: 'no tariff with code gold: create it on the Tariffs page' }]);
      expect(p.services.map((s) => s.login)).to.deep.equal(['two']);
    });

    it('checks a changed tariff, not one the service already has (archived since)', () => {
      const l = withCatalogue(lookups([account({})], [service({ tariff: 'old-plan' })]));
      expect(plan('external_id,name,login,tariff\nA-1,Ada,ada,old-plan\n', l).errors).to.deep.equal([]);
      const other = service({ id: 11, login: 'ada2', tariff: 'home-100' });
      const p = plan('external_id,name,login,tariff\nA-1,Ada,ada2,old-plan\n', withCatalogue(lookups([account({})], [other])));
      expect(p.errors).to.deep.equal([{ line: 2, column: 'tariff', message: 'tariff old-plan is archived' }]);
    });

    it('dates a tariff change from tariff_from, and refuses one before the latest history entry', () => {
      const l = { ...lookups([account({})], [service({ tariff: 'home-100' })]), tariffHistory: new Map([[10, [{ code: 'home-100', fromMs: Date.parse('2026-02-01T00:00:00Z') }]]]) };
      const ok = plan('external_id,name,login,tariff,tariff_from\nA-1,Ada,ada,home-200,2026-03-01\n', l);
      expect(ok.errors).to.deep.equal([]);
      expect(ok.services[0]).to.deep.include({ tariffFromMs: Date.parse('2026-03-01T00:00:00Z'), changes: { tariff: { from: 'home-100', to: 'home-200' } } });
      const early = plan('external_id,name,login,tariff,tariff_from\nA-1,Ada,ada,home-200,2026-01-15\n', l);
      expect(early.errors).to.have.length(1);
      expect(early.errors[0]).to.include({ line: 2, column: 'tariff_from' });
      expect(early.errors[0]!.message).to.contain('when tariff home-100 began');
    });

    it('ignores tariff_from when the tariff stays, so the same file imported twice changes nothing', () => {
      const l = lookups([account({})], [service({ tariff: 'home-200' })]);
      const p = plan('external_id,name,login,tariff,tariff_from\nA-1,Ada,ada,home-200,2026-03-01\n', l);
      expect(p.errors).to.deep.equal([]);
      expect(countPlan(p).servicesUnchanged).to.equal(1);
    });

    it('refuses to empty a tariff, and tariff_from on a new service', () => {
      const emptied = plan('external_id,name,login,tariff\nA-1,Ada,ada,\n', lookups([account({})], [service({ tariff: 'home-100' })]));
      expect(emptied.errors).to.deep.equal([{ line: 2, column: 'tariff', message: 'cannot be emptied once set (it is home-100): choose another tariff, or end the service' }]);
      const created = plan('external_id,name,login,tariff,tariff_from\nN-1,New,new,home-100,2026-03-01\n');
      expect(created.errors).to.deep.equal([{ line: 2, column: 'tariff_from', message: 'is for a tariff change: a new service has its tariff from its start date' }]);
    });

    it('reads the tax columns, and wants a reason for a tax exemption', () => {
      const p = plan('external_id,name,tax_name,tax_percent,payment_terms_days,billing_email\nN-1,New,MwSt,"7,5",14,ap@example.net\n');
      expect(p.errors).to.deep.equal([]);
      expect(p.accounts[0]!.create).to.include({ taxName: 'MwSt', taxPercent: '7.5', paymentTermsDays: 14, billingEmail: 'ap@example.net' });
      const bad = plan('external_id,name,tax_exempt,tax_percent\nN-1,New,yes,100\n');
      expect(bad.errors).to.deep.equal([
        { line: 2, column: 'tax_percent', message: 'must be below 100' },
      ]);
      const noReason = plan('external_id,name,tax_exempt\nN-1,New,yes\n');
      expect(noReason.errors).to.deep.equal([{ line: 2, column: 'tax_exempt_reason', message: 'is required when the account is tax exempt: it is printed on the invoice' }]);
      const existing = plan('external_id,name,tax_exempt,tax_exempt_reason\nA-1,Ada,yes,Diplomatic mission\n', lookups([account({})]));
      expect(existing.errors).to.deep.equal([]);
      expect(existing.accounts[0]!.changes).to.deep.equal({ taxExempt: { from: false, to: true }, taxExemptReason: { from: null, to: 'Diplomatic mission' } });
    });
  });
});
