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
});
