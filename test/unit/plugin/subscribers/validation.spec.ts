import { expect } from 'chai';
import { endDateProblem, parseAccountInput, parseServiceInput } from '../../../../plugin/subscribers/validation.js';

describe('account and service validation', () => {
  const defaults = { currency: 'EUR' };

  it('fills the defaults of a new account and tidies its input', () => {
    const { value, issues } = parseAccountInput({ name: '  Ada  ', country: 'de', currency: 'usd', email: ' ada@example.net ' }, 'create', defaults);
    expect(issues).to.deep.equal([]);
    expect(value).to.deep.include({ name: 'Ada', country: 'DE', currency: 'USD', email: 'ada@example.net', status: 'active', taxExempt: false, externalId: null });
  });

  it('names every bad field of an account at once', () => {
    const { issues } = parseAccountInput({ email: 'x', country: 'Germany', currency: '€', status: 'gone', taxExempt: 'perhaps', phone: 12, extra: 1 }, 'create', defaults);
    expect(issues.map((i) => i.field)).to.deep.equal(['extra', 'name', 'email', 'phone', 'country', 'taxExempt', 'currency', 'status']);
  });

  it('changes only the fields given on update, and takes null or "" as "clear"', () => {
    const { value, issues } = parseAccountInput({ phone: null, city: '' }, 'update', defaults);
    expect(issues).to.deep.equal([]);
    expect(value).to.deep.equal({ phone: null, city: null });
  });

  it('refuses to clear a required field on update', () => {
    expect(parseAccountInput({ name: ' ', currency: '' }, 'update', defaults).issues).to.deep.equal([
      { field: 'name', message: 'is required' },
      { field: 'currency', message: 'is required' },
    ]);
  });

  it('counts characters, not bytes, against length limits', () => {
    expect(parseAccountInput({ name: 'ü'.repeat(200) }, 'create', defaults).issues).to.deep.equal([]);
    expect(parseAccountInput({ name: 'ü'.repeat(201) }, 'create', defaults).issues[0]!.message).to.equal('is too long (at most 200 characters)');
  });

  it('reads yes/no, 1/0 and on/off as tax exemption', () => {
    for (const [raw, want] of [['yes', true], ['NO', false], ['1', true], ['0', false], ['on', true], ['', false]] as const) {
      expect(parseAccountInput({ name: 'x', taxExempt: raw }, 'create', defaults).value.taxExempt, raw).to.equal(want);
    }
  });

  it('starts a new service today unless told otherwise, and refuses "ended" as a status', () => {
    expect(parseServiceInput({ login: 'a' }, 'create', '2026-03-01').value).to.deep.equal({ login: 'a', tariff: null, nasName: null, startDate: '2026-03-01', status: 'active' });
    expect(parseServiceInput({ status: 'ended' }, 'update', '2026-03-01').issues[0]!.field).to.equal('status');
  });

  it('refuses logins with control characters and dates that are not on the calendar', () => {
    const { issues } = parseServiceInput({ login: 'a\tb', startDate: '2026-02-29' }, 'create', '2026-03-01');
    expect(issues).to.deep.equal([
      { field: 'login', message: 'must not contain control characters' },
      { field: 'startDate', message: '2026-02-29 is not a calendar date' },
    ]);
  });

  it('does not let a service end before it starts', () => {
    expect(endDateProblem('2026-03-01', '2026-02-28')).to.equal('must not be before the start date 2026-03-01');
    expect(endDateProblem('2026-03-01', '2026-03-01')).to.equal(null);
  });
});
