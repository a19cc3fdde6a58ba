import { expect } from 'chai';
import { idRanges } from '../../../../plugin/usage/usage.repository.js';

describe('marking observations rolled up by id ranges (usage.repository.ts idRanges)', () => {
  it('writes runs of three or more consecutive ids as ranges and the rest as a list, covering exactly the ids given', () => {
    expect(idRanges([1n, 2n, 3n, 4n, 7n, 9n, 10n, 12n, 13n, 14n])).to.equal('id BETWEEN 1 AND 4 OR id BETWEEN 12 AND 14 OR id IN (7, 9, 10)');
    expect(idRanges([5n])).to.equal('id IN (5)');
    expect(idRanges([])).to.equal('1 = 0');
  });

  it('selects the same ids as the list it stands for, whatever the gaps', () => {
    for (let trial = 0; trial < 200; trial++) {
      const ids: bigint[] = [];
      let id = BigInt(1 + Math.floor(Math.random() * 5));
      for (let i = 0; i < 40; i++) {
        ids.push(id);
        id += BigInt(1 + (Math.random() < 0.8 ? 0 : Math.floor(Math.random() * 4)));
      }
      const where = idRanges(ids);
      const selected = (x: bigint) =>
        where.split(' OR ').some((c) => {
          const r = /^id BETWEEN (\d+) AND (\d+)$/.exec(c);
          if (r) return x >= BigInt(r[1]!) && x <= BigInt(r[2]!);
          return c.slice(7, -1).split(', ').map(BigInt).includes(x);
        });
      for (let x = 0n; x <= id + 2n; x++) expect(selected(x), `${x} in ${where}`).to.equal(ids.includes(x));
    }
  });
});
