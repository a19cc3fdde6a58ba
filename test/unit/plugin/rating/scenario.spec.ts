import { expect } from 'chai';
import { ConfigError } from '../../../../plugin/common/errors.js';
import { parseScenarioText } from '../../../../plugin/rating/scenario.js';
import { scenarioText } from './scenario-text.js';

const service = '  start: 2026-01-01\n  tariffs: [{ tariff: BASIC, from: 2026-01-01 }]';
function problem(text: string): string {
  try {
    parseScenarioText(text, 's.yaml');
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('the scenario was accepted');
}

describe('the scenario file', () => {
  it('reads plain YAML numbers from their text: 0.1 stays 0.1, a 20-digit counter stays exact', () => {
    const text = scenarioText({ service, usage: '  - { hour: 2026-01-02T00:00:00Z, download: 18446744073709551615, upload: 0 }' }).replace('recurringFee: 31.00', 'recurringFee: 0.1');
    const s = parseScenarioText(text, 's.yaml');
    expect(s.usage[0]!.download).to.equal(18446744073709551615n);
    expect(s.tariffs[0]!.recurringFee.toFixed()).to.equal('0.1');
  });

  it('reads a local date as local midnight in the scenario zone', () => {
    const s = parseScenarioText(scenarioText({ service }), 's.yaml');
    expect(new Date(s.startMs).toISOString()).to.equal('2025-12-31T23:00:00.000Z');
  });

  it('expands a repeated hourly row into one bucket per hour', () => {
    const s = parseScenarioText(scenarioText({ service, usage: '  - { every: hour, from: 2026-01-01T00:00:00Z, to: 2026-01-02T00:00:00Z, download: 5, upload: 1 }' }), 's.yaml');
    expect(s.usage).to.have.length(24);
  });

  it('names the one field at fault, in one line', () => {
    expect(problem(scenarioText({ service }).replace('currency: EUR\n', ''))).to.equal('s.yaml: currency: is required');
    expect(problem(scenarioText({ service, usage: '  - { hour: 2026-01-01T00:30:00Z, download: 1, upload: 1 }' }))).to.equal('s.yaml: usage.0.hour: must start a 60-minute bucket (UTC)');
    expect(problem(scenarioText({ service: '  start: 2026-01-01\n  tariffs: [{ tariff: GOLD, from: 2026-01-01 }]' }))).to.equal('s.yaml: service.tariffs.0.tariff: no tariff GOLD in tariffs');
    expect(problem(scenarioText({ service, invoices: '{ from: 2026-03-01, to: 2026-02-01 }' }))).to.equal('s.yaml: invoices.to: must be after invoices.from');
    expect(problem(scenarioText({ service }).replace('timezone: Europe/Berlin', 'timezone: Europe/Berlín'))).to.equal('s.yaml: timezone: must be an IANA time zone such as Europe/Berlin');
  });

  it('refuses a tariff in another currency than the account', () => {
    const text = scenarioText({ service }).replace('{ code: BASIC, name: Basic, currency: EUR', '{ code: BASIC, name: Basic, currency: USD');
    expect(problem(text)).to.equal('s.yaml: tariffs.0.currency: is USD, the account bills in EUR');
  });
});
