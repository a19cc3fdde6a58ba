import { expect } from 'chai';
import { cycleFor, dayOffset, nextPeriod, periodAt, type CycleSpec } from '../../../../plugin/rating/periods.js';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number) => new Date(ms).toISOString();
function periods(spec: CycleSpec, fromIso: string, n: number): Array<[string, string, number]> {
  const out: Array<[string, string, number]> = [];
  let p = periodAt(at(fromIso), spec);
  for (let i = 0; i < n; i++, p = nextPeriod(p, spec)) out.push([p.fromDate, p.toDate, p.days]);
  return out;
}

describe('billing periods', () => {
  it('cut calendar months at local midnight in the ISP zone', () => {
    const spec = cycleFor('calendar', 'Europe/Berlin', at('2026-03-10T12:00:00Z'));
    const p = periodAt(at('2026-03-10T12:00:00Z'), spec);
    expect([iso(p.fromMs), iso(p.toMs), p.days]).to.deep.equal(['2026-02-28T23:00:00.000Z', '2026-03-31T22:00:00.000Z', 31]);
  });

  it('put the last instant before local midnight in the old period and midnight itself in the new one', () => {
    const spec = cycleFor('calendar', 'Europe/Berlin', 0);
    expect(periodAt(at('2026-03-31T21:59:59.999Z'), spec).fromDate).to.equal('2026-03-01');
    expect(periodAt(at('2026-03-31T22:00:00Z'), spec).fromDate).to.equal('2026-04-01');
  });

  it('start periods in Asia/Kolkata at 18:30 UTC and in Asia/Kathmandu at 18:15 UTC the day before', () => {
    expect(iso(periodAt(at('2026-05-15T00:00:00Z'), cycleFor('calendar', 'Asia/Kolkata', 0)).fromMs)).to.equal('2026-04-30T18:30:00.000Z');
    expect(iso(periodAt(at('2026-05-15T00:00:00Z'), cycleFor('calendar', 'Asia/Kathmandu', 0)).fromMs)).to.equal('2026-04-30T18:15:00.000Z');
  });

  it('keep a month that crosses a DST change whole, an hour shorter, in days', () => {
    const p = periodAt(at('2026-03-15T00:00:00Z'), cycleFor('calendar', 'America/New_York', 0));
    expect([iso(p.fromMs), iso(p.toMs), p.days]).to.deep.equal(['2026-03-01T05:00:00.000Z', '2026-04-01T04:00:00.000Z', 31]);
  });

  it('bill a service started on the 31st on the last day of shorter months, then back on the 31st', () => {
    const spec = cycleFor('anniversary', 'Europe/Berlin', at('2026-01-31T09:00:00Z'));
    expect(periods(spec, '2026-01-31T09:00:00Z', 4)).to.deep.equal([
      ['2026-01-31', '2026-02-28', 28],
      ['2026-02-28', '2026-03-31', 31],
      ['2026-03-31', '2026-04-30', 30],
      ['2026-04-30', '2026-05-31', 31],
    ]);
  });

  it('anchor an anniversary on the local date of the start, not the UTC one', () => {
    // 2026-01-14T20:00Z is already the 15th in Asia/Kolkata.
    const spec = cycleFor('anniversary', 'Asia/Kolkata', at('2026-01-14T20:00:00Z'));
    const p = periodAt(at('2026-01-14T20:00:00Z'), spec);
    expect([p.fromDate, p.toDate, iso(p.fromMs)]).to.deep.equal(['2026-01-15', '2026-02-15', '2026-01-14T18:30:00.000Z']);
  });

  it('count a start at 14:00 as the whole day begun, and an end at 14:00 as the whole day used', () => {
    const spec = cycleFor('calendar', 'Europe/Berlin', 0);
    const p = periodAt(at('2026-04-10T12:00:00Z'), spec);
    expect(dayOffset(at('2026-04-10T12:00:00Z'), p, spec.timezone, 'floor')).to.equal(9);
    expect(dayOffset(at('2026-04-10T12:00:00Z'), p, spec.timezone, 'ceil')).to.equal(10);
    expect(dayOffset(at('2026-04-09T22:00:00Z'), p, spec.timezone, 'ceil')).to.equal(9);
  });
});
