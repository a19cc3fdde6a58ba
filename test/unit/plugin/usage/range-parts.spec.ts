import { expect } from 'chai';
import { rangeParts } from '../../../../plugin/usage/usage.repository.js';

describe('IN lists read as index ranges (usage.repository.ts rangeParts)', () => {
  it('keeps every list under the 1,000 values at which MariaDB turns it into a join, in even parts, every item once and in order', () => {
    for (const n of [0, 1, 998, 999, 1000, 1998, 1999, 2000, 2500, 5000, 10_001]) {
      const items = Array.from({ length: n }, (_, i) => i);
      const parts = rangeParts(items);
      expect(parts.flat(), `n = ${n}`).to.deep.equal(items);
      expect(parts.every((p) => p.length > 0 && p.length <= 999), `n = ${n}`).to.equal(true);
      expect(parts.length, `n = ${n}`).to.be.at.most(Math.ceil(n / 999));
      if (parts.length > 1) expect(Math.max(...parts.map((p) => p.length)) - Math.min(...parts.map((p) => p.length)), `n = ${n}`).to.be.at.most(parts.length);
    }
    expect(rangeParts(Array.from({ length: 2000 }, (_, i) => i)).map((p) => p.length)).to.deep.equal([667, 667, 666]);
  });
});
