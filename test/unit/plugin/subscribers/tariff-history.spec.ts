import { expect } from 'chai';
import type { FieldIssue } from '../../../../plugin/common/errors.js';
import { clearingProblem, parseTariffFrom, serviceStartMs, tariffStep } from '../../../../plugin/subscribers/tariff-history.js';

const ms = (iso: string) => new Date(iso).getTime();

describe('a service tariff history', () => {
  it('starts a service at local midnight of its start date in the ISP zone, DST and half-hour zones included', () => {
    expect(new Date(serviceStartMs('2026-03-01', 'Europe/Berlin')).toISOString()).to.equal('2026-02-28T23:00:00.000Z');
    expect(new Date(serviceStartMs('2026-07-01', 'Europe/Berlin')).toISOString()).to.equal('2026-06-30T22:00:00.000Z');
    expect(new Date(serviceStartMs('2026-03-01', 'Asia/Kolkata')).toISOString()).to.equal('2026-02-28T18:30:00.000Z');
    expect(new Date(serviceStartMs('2026-03-01', 'UTC')).toISOString()).to.equal('2026-03-01T00:00:00.000Z');
  });

  it('reads tariffFrom as a local date or as an instant with its offset, to whole seconds', () => {
    const issues: FieldIssue[] = [];
    expect(parseTariffFrom('2026-04-01', 'Europe/Berlin', issues)).to.equal(ms('2026-03-31T22:00:00Z'));
    expect(parseTariffFrom('2026-04-01T12:30:00+02:00', 'UTC', issues)).to.equal(ms('2026-04-01T10:30:00Z'));
    expect(parseTariffFrom('2026-04-01T10:30:15.987Z', 'UTC', issues)).to.equal(ms('2026-04-01T10:30:15Z'));
    expect(issues).to.deep.equal([]);
  });

  it('refuses a tariffFrom that is no date, or a local time without its offset, naming the forms it takes', () => {
    for (const bad of ['next week', '2026-02-30', '2026-04-01T12:00', '01.04.2026']) {
      const issues: FieldIssue[] = [];
      expect(parseTariffFrom(bad, 'Europe/Berlin', issues), bad).to.equal(undefined);
      expect(issues[0]!.field).to.equal('tariffFrom');
      expect(issues[0]!.message).to.contain('YYYY-MM-DD').and.contain('Europe/Berlin').and.contain(bad);
    }
  });

  it('appends a change after the latest entry, corrects the latest when dated the same instant, and refuses one before it', () => {
    const latest = { code: 'home-100', fromMs: ms('2026-03-01T00:00:00Z') };
    expect(tariffStep(null, ms('2026-01-01T00:00:00.500Z'), 'UTC')).to.deep.equal({ kind: 'append', fromMs: ms('2026-01-01T00:00:00Z') });
    expect(tariffStep(latest, ms('2026-03-15T00:00:00Z'), 'UTC')).to.deep.equal({ kind: 'append', fromMs: ms('2026-03-15T00:00:00Z') });
    expect(tariffStep(latest, latest.fromMs, 'UTC')).to.deep.equal({ kind: 'replace', fromMs: latest.fromMs });
    const refused = tariffStep(latest, ms('2026-02-28T23:59:59Z'), 'Europe/Berlin');
    expect(refused.kind).to.equal('refused');
    expect(refused.kind === 'refused' && refused.issue).to.deep.equal({
      field: 'tariffFrom',
      message: 'must not be before 2026-03-01 01:00:00 GMT+1, when tariff home-100 began: the tariff history only grows',
    });
  });

  it('lets a tariff change but never be emptied once a service has one', () => {
    expect(clearingProblem(null, null)).to.equal(null);
    expect(clearingProblem(null, 'home-100')).to.equal(null);
    expect(clearingProblem('home-100', 'biz-500')).to.equal(null);
    expect(clearingProblem('home-100', null)!.message).to.equal('cannot be emptied once set (it is home-100): choose another tariff, or end the service');
  });
});
