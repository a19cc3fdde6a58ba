import { expect } from 'chai';
import { assessEnforcer, enforcerProblems } from '../../../../agent/enforcer/health.js';

const device = (name: string, up: boolean, lastError: string | null = null) => ({ device: name, up, lastError, lastReconciledAt: null, lastChanges: 0 });

describe("the enforcer's health", () => {
  it('counts the desired changes not yet applied per device, and the newest version applied', () => {
    const h = assessEnforcer({
      stream: { up: true, lastError: null },
      devices: [device('bras1', true), device('bras2', false, 'connect ECONNREFUSED')],
      pendingReports: 2,
      items: [{ device: 'bras1', applied: true }, { device: 'bras2', applied: false }, { device: 'bras2', applied: false }],
      appliedVersions: [3, 9, 4],
    });
    expect(h).to.deep.include({ pendingChanges: 2, pendingByDevice: { bras1: 0, bras2: 2 }, lastAppliedVersion: 9, pendingReports: 2, unreachable: [{ device: 'bras2', error: 'connect ECONNREFUSED' }] });
    expect(enforcerProblems(h)).to.deep.equal(['enforcement: bras2 unreachable (2 changes pending): connect ECONNREFUSED']);
  });

  it('is no problem before a device was first tried, and a lost plugin stream is one', () => {
    const h = assessEnforcer({ stream: { up: false, lastError: 'HTTP 401' }, devices: [device('bras1', false)], pendingReports: 0, items: [], appliedVersions: [] });
    expect(h).to.deep.include({ pendingChanges: 0, lastAppliedVersion: 0, unreachable: [] });
    expect(enforcerProblems(h)).to.deep.equal(['enforcement: not hearing the plugin: HTTP 401']);
  });
});
