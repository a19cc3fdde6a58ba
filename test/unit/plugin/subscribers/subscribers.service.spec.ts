import { expect } from 'chai';
import { UniqueConstraintError, type Transaction } from 'sequelize';
import type { AuditEvent, AuditRepository } from '../../../../plugin/audit/audit.repository.js';
import { ManualClock } from '../../../../plugin/common/clock.js';
import { ConflictError, ValidationError } from '../../../../plugin/common/errors.js';
import type { Database } from '../../../../plugin/db/database.js';
import type { Account, AccountsRepository } from '../../../../plugin/subscribers/accounts.repository.js';
import type { NewService, Service, ServicesRepository } from '../../../../plugin/subscribers/services.repository.js';
import { SubscribersService } from '../../../../plugin/subscribers/subscribers.service.js';
import type { UsageLink } from '../../../../plugin/subscribers/usage-link.js';
import { ServiceTariffs } from '../../../../plugin/subscribers/service-tariffs.js';
import type { NewTariffEntry, TariffHistoryRepository } from '../../../../plugin/subscribers/tariff-history.repository.js';
import type { TariffEntry } from '../../../../plugin/subscribers/tariff-history.js';

const T = new Date('2026-03-01T10:00:00Z');

/** In-memory stand-ins for the repositories: the service's rules, without a database. */
function world(opts: { assignable?: (code: string) => Promise<string | null> } = {}) {
  const tx = { id: 'tx-1' } as unknown as Transaction;
  const accounts = new Map<number, Account>();
  const services = new Map<number, Service>();
  const audit: AuditEvent[] = [];
  const adopted: Array<{ serviceId: number; login: string; t: Transaction }> = [];
  let failNextInsertWithDuplicate = false;
  const db = { transaction: async <R>(fn: (t: Transaction) => Promise<R>) => fn(tx) } as unknown as Database;
  const accountsRepo = {
    findById: async (id: number) => accounts.get(id) ?? null,
  } as unknown as AccountsRepository;
  const servicesRepo = {
    findById: async (id: number) => services.get(id) ?? null,
    update: async (id: number, patch: Partial<Service>) => void services.set(id, { ...services.get(id)!, ...patch }),
    findLiveByLogins: async (logins: string[]) => new Map([...services.values()].filter((s) => s.status !== 'ended' && logins.includes(s.login)).map((s) => [s.login, s])),
    listByAccounts: async (ids: number[]) => [...services.values()].filter((s) => ids.includes(s.accountId)),
    createMany: async (inputs: NewService[]) => {
      if (failNextInsertWithDuplicate) throw new UniqueConstraintError({});
      const out = new Map<string, Service>();
      for (const i of inputs) {
        const s: Service = { id: services.size + 100, ...i, endDate: null, createdAt: T, updatedAt: T };
        services.set(s.id, s);
        out.set(s.login, s);
      }
      return out;
    },
  } as unknown as ServicesRepository;
  const usage: UsageLink = {
    adoptUnassigned: async (s, t) => {
      adopted.push({ serviceId: s.id, login: s.login, t });
      return 3;
    },
    loginsWithUnassigned: async (logins) => new Set(logins.filter((l) => l.startsWith('seen-'))),
  };
  const history = new Map<number, TariffEntry[]>();
  const historyWrites: Array<NewTariffEntry & { how: string; t?: Transaction }> = [];
  const historyRepo: Pick<TariffHistoryRepository, 'appendMany' | 'replace' | 'moveFrom' | 'historyOf'> = {
    appendMany: async (entries, t) => {
      for (const e of entries) {
        historyWrites.push({ ...e, how: 'append', t });
        history.set(e.serviceId, [...(history.get(e.serviceId) ?? []), { code: e.code, fromMs: e.fromMs }]);
      }
    },
    replace: async (e, t) => {
      historyWrites.push({ ...e, how: 'replace', t });
      history.get(e.serviceId)!.find((x) => x.fromMs === e.fromMs)!.code = e.code;
    },
    moveFrom: async (serviceId, fromMs, toMs) => {
      history.get(serviceId)!.find((x) => x.fromMs === fromMs)!.fromMs = toMs;
    },
    historyOf: async (ids) => new Map(ids.filter((id) => history.has(id)).map((id) => [id, history.get(id)!.map((e) => ({ ...e }))])),
  };
  const clock = new ManualClock(T);
  const tariffs = new ServiceTariffs({ history: historyRepo, assignable: opts.assignable, clock, timezone: 'Pacific/Auckland' });
  const svc = new SubscribersService({
    db,
    tariffs,
    accounts: accountsRepo,
    services: servicesRepo,
    audit: { record: async (e: AuditEvent) => void audit.push(e) } as unknown as AuditRepository,
    usage,
    clock,
    timezone: 'Pacific/Auckland',
    defaultCurrency: 'NZD',
  });
  const account = (over: Partial<Account> = {}): Account => {
    const a: Account = {
      id: accounts.size + 1, externalId: null, name: 'A', email: null, phone: null, addressLine1: null, addressLine2: null, city: null, postalCode: null,
      country: null, taxId: null, taxExempt: false, taxExemptReason: null, taxName: null, taxPercent: null, paymentTermsDays: null, billingEmail: null,
      currency: 'NZD', status: 'active', createdAt: T, updatedAt: T, ...over,
    };
    accounts.set(a.id, a);
    return a;
  };
  return { svc, tx, audit, adopted, account, services, history, historyWrites, clock, failNextInsertWithDuplicate: () => (failNextInsertWithDuplicate = true) };
}

describe('subscribers service (with in-memory repositories)', () => {
  it('dates a new service in the ISP time zone', async () => {
    const w = world();
    const s = await w.svc.createService(w.account().id, { login: 'x' }, 'user:1');
    expect(s.startDate).to.equal('2026-03-01'); // 23:00 on March 1st in Auckland
    expect(w.svc.today()).to.equal('2026-03-01');
  });

  it('moves unassigned usage onto a new service in the same transaction, and audits how much moved', async () => {
    const w = world();
    const s = await w.svc.createService(w.account().id, { login: 'seen-on-router' }, 'token:4');
    expect(w.adopted).to.deep.equal([{ serviceId: s.id, login: 'seen-on-router', t: w.tx }]);
    expect(w.audit).to.deep.include({ actor: 'token:4', action: 'service.create', entityType: 'service', entityId: s.id, details: { accountId: 1, login: 'seen-on-router', tariff: null, nasName: null, startDate: '2026-03-01', status: 'active', adoptedUsageRows: 3 } });
  });

  it('does not ask the usage module about logins without unassigned usage', async () => {
    const w = world();
    await w.svc.createService(w.account().id, { login: 'brand-new' }, 'user:1');
    expect(w.adopted).to.deep.equal([]);
  });

  it('names the login when the database refuses a duplicate that raced past the check', async () => {
    const w = world();
    w.failNextInsertWithDuplicate();
    const err = await w.svc.createService(w.account().id, { login: 'raced' }, 'user:1').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ConflictError);
    expect((err as ConflictError).issues).to.deep.equal([{ field: 'login', message: '"raced" is already used by a live service' }]);
  });

  it('adds no service to a closed account', async () => {
    const w = world();
    const err = await w.svc.createService(w.account({ status: 'closed' }).id, { login: 'late' }, 'user:1').catch((e: unknown) => e);
    expect(err).to.be.instanceOf(ValidationError);
    expect((err as ValidationError).issues[0]!.field).to.equal('accountId');
    expect(w.services.size).to.equal(0);
  });

  describe('tariff history', () => {
    const catalogue = async (code: string) =>
      code === 'old-plan' ? 'tariff old-plan is archived' : code === 'soon' ? 'tariff soon is a draft' : code.startsWith('home-') || code.startsWith('biz-') ? null : `no tariff with code ${code}: create it on the Tariffs page`;

    it('begins a new service with a tariff at local midnight of its start date, in the same transaction', async () => {
      const w = world({ assignable: catalogue });
      const s = await w.svc.createService(w.account().id, { login: 'x', tariff: 'home-100', startDate: '2026-03-10' }, 'user:1');
      // Midnight of March 10th in Auckland (NZDT, +13) is 11:00 UTC on March 9th.
      expect(w.history.get(s.id)).to.deep.equal([{ code: 'home-100', fromMs: Date.parse('2026-03-09T11:00:00Z') }]);
      expect(w.historyWrites.map((h) => [h.how, h.createdBy, h.t])).to.deep.equal([['append', 'user:1', w.tx]]);
    });

    it('writes no history for a service without a tariff', async () => {
      const w = world({ assignable: catalogue });
      const s = await w.svc.createService(w.account().id, { login: 'x' }, 'user:1');
      expect(w.history.has(s.id)).to.equal(false);
    });

    it('refuses an unknown, archived or draft tariff on the tariff field, with the catalogue reason, and writes nothing', async () => {
      const w = world({ assignable: catalogue });
      for (const [code, reason] of [['gold', 'no tariff with code gold: create it on the Tariffs page'], ['old-plan', 'tariff old-plan is archived'], ['soon', 'tariff soon is a draft']]) {
        const err = await w.svc.createService(w.account().id, { login: `l-${code}`, tariff: code }, 'user:1').catch((e: unknown) => e);
        expect(err, code).to.be.instanceOf(ValidationError);
        expect((err as ValidationError).issues).to.deep.equal([{ field: 'tariff', message: reason }]);
      }
      expect(w.services.size).to.equal(0);
      expect(w.historyWrites).to.deep.equal([]);
    });

    it('accepts any code while no tariffs module is composed in', async () => {
      const w = world();
      const s = await w.svc.createService(w.account().id, { login: 'x', tariff: 'whatever-1' }, 'user:1');
      expect(s.tariff).to.equal('whatever-1');
    });

    it('dates a tariff change now by default and keeps services.tariff equal to the latest entry', async () => {
      const w = world({ assignable: catalogue });
      const s = await w.svc.createService(w.account().id, { login: 'x', tariff: 'home-100', startDate: '2026-02-01' }, 'user:1');
      w.clock.set('2026-03-05T08:30:00.750Z');
      const after = await w.svc.updateService(s.id, { tariff: 'home-200' }, 'token:2');
      expect(after.tariff).to.equal('home-200');
      expect(w.history.get(s.id)!.map((h) => [h.code, new Date(h.fromMs).toISOString()])).to.deep.equal([
        ['home-100', '2026-01-31T11:00:00.000Z'],
        ['home-200', '2026-03-05T08:30:00.000Z'],
      ]);
    });

    it('dates a tariff change from the tariffFrom staff give, and says so in the audit', async () => {
      const w = world({ assignable: catalogue });
      const s = await w.svc.createService(w.account().id, { login: 'x', tariff: 'home-100', startDate: '2026-02-01' }, 'user:1');
      await w.svc.updateService(s.id, { tariff: 'biz-500', tariffFrom: '2026-02-15' }, 'user:1');
      expect(w.history.get(s.id)![1]).to.deep.equal({ code: 'biz-500', fromMs: Date.parse('2026-02-14T11:00:00Z') });
      expect(w.audit.at(-1)!.details).to.deep.include({ tariffFrom: '2026-02-14T11:00:00.000Z' });
    });

    it('refuses a tariffFrom before the latest entry, or before the service starts, and changes nothing', async () => {
      const w = world({ assignable: catalogue });
      const s = await w.svc.createService(w.account().id, { login: 'x', tariff: 'home-100', startDate: '2026-02-01' }, 'user:1');
      await w.svc.updateService(s.id, { tariff: 'home-200', tariffFrom: '2026-02-20' }, 'user:1');
      const early = await w.svc.updateService(s.id, { tariff: 'biz-500', tariffFrom: '2026-02-10' }, 'user:1').catch((e: unknown) => e);
      expect((early as ValidationError).issues[0]!.field).to.equal('tariffFrom');
      expect((early as ValidationError).issues[0]!.message).to.contain('when tariff home-200 began');
      expect(w.services.get(s.id)!.tariff).to.equal('home-200');
      expect(w.history.get(s.id)!.map((h) => h.code)).to.deep.equal(['home-100', 'home-200']);
    });

    it('corrects the latest entry when a second change is dated the same instant', async () => {
      const w = world({ assignable: catalogue });
      const s = await w.svc.createService(w.account().id, { login: 'x', tariff: 'home-100', startDate: '2026-02-01' }, 'user:1');
      await w.svc.updateService(s.id, { tariff: 'home-200', tariffFrom: '2026-02-20' }, 'user:1');
      await w.svc.updateService(s.id, { tariff: 'biz-500', tariffFrom: '2026-02-20' }, 'user:1');
      expect(w.history.get(s.id)!.map((h) => h.code)).to.deep.equal(['home-100', 'biz-500']);
    });

    it('refuses to empty a tariff once set, and to change to an archived one, but keeps an archived tariff on save', async () => {
      const w = world({ assignable: catalogue });
      const s = await w.svc.createService(w.account().id, { login: 'x', tariff: 'home-100' }, 'user:1');
      const cleared = await w.svc.updateService(s.id, { tariff: '' }, 'user:1').catch((e: unknown) => e);
      expect((cleared as ValidationError).issues).to.deep.equal([{ field: 'tariff', message: 'cannot be emptied once set (it is home-100): choose another tariff, or end the service' }]);
      const archived = await w.svc.updateService(s.id, { tariff: 'old-plan' }, 'user:1').catch((e: unknown) => e);
      expect((archived as ValidationError).issues).to.deep.equal([{ field: 'tariff', message: 'tariff old-plan is archived' }]);
      // A service already on a tariff archived since: saving its form with the same code works.
      w.services.set(s.id, { ...w.services.get(s.id)!, tariff: 'old-plan' });
      const saved = await w.svc.updateService(s.id, { tariff: 'old-plan', nasName: 'bras-2' }, 'user:1');
      expect(saved.nasName).to.equal('bras-2');
    });

    it('moves the first entry with the start date when it began with the service', async () => {
      const w = world({ assignable: catalogue });
      const s = await w.svc.createService(w.account().id, { login: 'x', tariff: 'home-100', startDate: '2026-02-10' }, 'user:1');
      await w.svc.updateService(s.id, { startDate: '2026-02-01' }, 'user:1');
      expect(w.history.get(s.id)).to.deep.equal([{ code: 'home-100', fromMs: Date.parse('2026-01-31T11:00:00Z') }]);
    });
  });
});
