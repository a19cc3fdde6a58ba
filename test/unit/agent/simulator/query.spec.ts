import { expect } from 'chai';
import { formatDuration, parseBool, parseDuration } from '../../../../agent/simulator/format.js';
import { compileQuery } from '../../../../agent/simulator/query.js';

const rows: Array<Record<string, string>> = [
  { name: 'ether1', type: 'ether', comment: 'uplink', distance: '1', gateway: '172.16.1.1', dynamic: 'false' },
  { name: 'vlan10', type: 'vlan', distance: '2', gateway: '172.16.1.1', dynamic: 'true' },
  { name: 'br0', type: 'bridge', comment: '', distance: '1', gateway: '10.0.0.1', dynamic: 'false' },
];

function names(query: string[]): string[] {
  const match = compileQuery(query);
  return rows.filter(match).map((r) => r.name!);
}

describe('simulated print queries (API7 stack semantics)', () => {
  it('matches items of either type with ?type=ether ?type=vlan ?#| (API7 example)', () => {
    expect(names(['?type=ether', '?type=vlan', '?#|'])).to.deep.equal(['ether1', 'vlan10']);
  });

  it('matches a non-empty comment with ?>comment= (API7 example)', () => {
    expect(names(['?>comment='])).to.deep.equal(['ether1']);
  });

  it('negates a conjunction with ?>distance=1 ?gateway=172.16.1.1 ?#&! (API7 example)', () => {
    // Items that do NOT have (distance > 1 and gateway 172.16.1.1).
    expect(names(['?>distance=1', '?gateway=172.16.1.1', '?#&!'])).to.deep.equal(['ether1', 'br0']);
  });

  it('tests presence and absence of a property', () => {
    expect(names(['?comment'])).to.deep.equal(['ether1', 'br0']);
    expect(names(['?-comment'])).to.deep.equal(['vlan10']);
  });

  it('accepts the ?=name=value form that librouteros sends', () => {
    expect(names(['?=name=br0'])).to.deep.equal(['br0']);
  });

  it('matches yes/no queries against true/false values', () => {
    expect(names(['?dynamic=yes'])).to.deep.equal(['vlan10']);
    expect(names(['?dynamic=no'])).to.deep.equal(['ether1', 'br0']);
  });

  it('compares numbers as numbers', () => {
    expect(names(['?<distance=2'])).to.deep.equal(['ether1', 'br0']);
  });
});

describe('simulated value formats', () => {
  it('prints durations as RouterOS does, leaving out zero parts', () => {
    expect(formatDuration(0)).to.equal('0s');
    expect(formatDuration(59)).to.equal('59s');
    expect(formatDuration(3600)).to.equal('1h');
    expect(formatDuration(694861)).to.equal('1w1d1h1m1s');
  });

  it('parses both duration styles', () => {
    expect(parseDuration('1w2d3h4m5s')).to.equal(788645);
    expect(parseDuration('01:22:53')).to.equal(4973);
    expect(parseDuration('bogus')).to.equal(null);
  });

  it('accepts yes/no/true/false as booleans and nothing else', () => {
    expect(['yes', 'true', 'no', 'false', 'maybe'].map(parseBool)).to.deep.equal([true, true, false, false, null]);
  });
});
