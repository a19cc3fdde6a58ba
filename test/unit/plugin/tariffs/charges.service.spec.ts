import { expect } from 'chai';
import { NotFoundError, ValidationError } from '../../../../plugin/common/errors.js';
import { decimal } from '../../../../plugin/common/money.js';
import type { Tariff } from '../../../../plugin/rating/index.js';
import type { ChargesRepository } from '../../../../plugin/tariffs/charges.repository.js';
import { ChargesService } from '../../../../plugin/tariffs/charges.service.js';
import type { TopUpPurchase } from '../../../../plugin/tariffs/charges.js';
import type { TariffDetail, TariffsService } from '../../../../plugin/tariffs/tariffs.service.js';
import { asDatabase, asDependency, createFakes } from '../../../support/fakes/index.js';

/** Top-ups in memory. */
class FakeTopUps implements Pick<ChargesRepository, 'addTopUp' | 'topUpsOf'> {
  rows: TopUpPurchase[] = [];
  async addTopUp(serviceId: number, code: string, atMs: number, actor: string): Promise<TopUpPurchase> {
    const row = { id: this.rows.length + 1, serviceId, code, atMs, createdBy: actor };
    this.rows.push(row);
    return row;
  }
  async topUpsOf(serviceIds: number[], fromMs: number, toMs: number): Promise<TopUpPurchase[]> {
    return this.rows.filter((r) => serviceIds.includes(r.serviceId) && r.atMs >= fromMs && r.atMs < toMs);
  }
}

function tariffWith(version: number, topUps: string[]): Tariff {
  return {
    code: 'FIBRE', name: 'Fibre', version, currency: 'EUR', recurringFee: decimal('10'), taxInclusive: false, direction: 'download', unit: 'GB',
    includedUnits: decimal('0'), charge: null, timeBands: [], fairUse: null, topUps: topUps.map((code) => ({ code, units: decimal('10'), price: decimal('1') })),
  };
}

describe('buying a top-up (ChargesService)', () => {
  const catalogue: Pick<TariffsService, 'get'> = {
    get: async (code) => {
      if (code !== 'FIBRE') throw new NotFoundError(`there is no tariff ${code}`);
      // Version 1 offered OLD-PACK; the current version 2 offers only NEW-PACK.
      return asDependency<TariffDetail>({
        versions: [1, 2].map((v) => ({ tariff: tariffWith(v, v === 1 ? ['OLD-PACK'] : ['NEW-PACK']), effectiveFromMs: 0, createdBy: 'test', createdAt: new Date(0), definition: {} as never })),
      });
    },
  };
  const tariffOf: Record<number, string | null> = { 1: 'FIBRE', 2: null, 3: 'UNLISTED' };

  function service() {
    const fakes = createFakes({ now: '2026-03-05T20:00:00Z' });
    const topUps = new FakeTopUps();
    const svc = new ChargesService({
      db: asDatabase(fakes.db),
      charges: asDependency<ChargesRepository>(topUps),
      catalogue,
      subscribers: {
        requireAccount: async () => undefined,
        serviceTariff: async (id) => {
          if (!(id in tariffOf)) throw new NotFoundError(`there is no service #${id}`);
          return { accountId: 1, tariff: tariffOf[id]! };
        },
      },
      audit: fakes.audit,
      clock: fakes.clock,
      timezone: 'Europe/Berlin',
    });
    return { svc, topUps, fakes };
  }

  async function refusal(p: Promise<unknown>): Promise<ValidationError> {
    try {
      await p;
    } catch (err) {
      expect(err).to.be.instanceOf(ValidationError);
      return err as ValidationError;
    }
    throw new Error('expected a refusal');
  }

  it('records a top-up the current tariff offers, at now, audited on the service in the same transaction', async () => {
    const { svc, topUps, fakes } = service();
    const bought = await svc.buyTopUp(1, { code: 'NEW-PACK' }, 'user:4');
    expect(bought).to.deep.equal({ id: 1, serviceId: 1, code: 'NEW-PACK', atMs: Date.parse('2026-03-05T20:00:00Z'), createdBy: 'user:4' });
    expect(topUps.rows).to.have.length(1);
    expect(fakes.audit.events.map((e) => [e.action, e.entityType, e.entityId, e.actor])).to.deep.equal([['topup.buy', 'service', 1, 'user:4']]);
    expect(fakes.audit.events[0]!.transaction).to.be.a('number');
  });

  it('refuses a top-up only an older version offered, naming what the tariff offers now', async () => {
    const { svc, topUps } = service();
    const err = await refusal(svc.buyTopUp(1, { code: 'OLD-PACK' }, 'user:4'));
    expect(err.issues).to.deep.equal([{ field: 'code', message: 'tariff FIBRE has no top-up OLD-PACK (it offers NEW-PACK)' }]);
    expect(topUps.rows).to.deep.equal([]);
  });

  it('refuses a top-up for a service without a tariff, or on a tariff not in the catalogue', async () => {
    const { svc } = service();
    expect((await refusal(svc.buyTopUp(2, { code: 'NEW-PACK' }, 'x'))).issues[0]!.message).to.equal('service #2 has no tariff, so it offers no top-ups');
    expect((await refusal(svc.buyTopUp(3, { code: 'NEW-PACK' }, 'x'))).issues[0]!.message).to.equal("the service's tariff UNLISTED is not in the catalogue, so it offers no top-ups");
  });

  it('names a bad time, a missing code and unknown fields; an unknown service is not found', async () => {
    const { svc } = service();
    expect((await refusal(svc.buyTopUp(1, { code: 'NEW-PACK', at: 'yesterday' }, 'x'))).issues).to.deep.equal([{ field: 'at', message: 'must be a date (YYYY-MM-DD) or an ISO date-time with offset' }]);
    expect((await refusal(svc.buyTopUp(1, {}, 'x'))).issues).to.deep.equal([{ field: 'code', message: 'is required' }]);
    expect((await refusal(svc.buyTopUp(1, { code: 'NEW-PACK', units: '5' }, 'x'))).issues[0]!.field).to.equal('units');
    try {
      await svc.buyTopUp(99, { code: 'NEW-PACK' }, 'x');
      expect.fail('expected NotFoundError');
    } catch (err) {
      expect(err).to.be.instanceOf(NotFoundError);
    }
  });

  it('takes a purchase time given as a local date (midnight in the ISP zone)', async () => {
    const { svc } = service();
    const bought = await svc.buyTopUp(1, { code: 'NEW-PACK', at: '2026-03-02' }, 'x');
    expect(new Date(bought.atMs).toISOString()).to.equal('2026-03-01T23:00:00.000Z');
  });
});
