import { expect } from 'chai';
import fc from 'fast-check';
import { Dec } from '../../../../plugin/common/money.js';
import { decodeSnapshot, encodeValue, stringifyEncoded } from '../../../../plugin/invoicing/snapshot.js';

/** Values a snapshot is made of: text, safe integers, booleans, null, bigints, decimals, arrays and objects of them. */
const leaf = fc.oneof(
  fc.string({ unit: 'binary' }),
  fc.maxSafeInteger(),
  fc.boolean(),
  fc.constant(null),
  fc.bigInt(),
  fc.bigInt().map((n) => new Dec(n.toString()).div(1000)),
);
const value = fc.letrec((tie) => ({
  node: fc.oneof({ depthSize: 'small' }, leaf, fc.array(tie('node')), fc.dictionary(fc.string({ unit: 'binary' }), fc.option(tie('node'), { nil: undefined }))),
})).node;

describe('invoice snapshot text', () => {
  it('is, for any snapshot value, character for character what JSON.stringify(encodeValue(v)) gives', () => {
    fc.assert(
      fc.property(value, (v) => {
        expect(stringifyEncoded(v)).to.equal(JSON.stringify(encodeValue(v)));
      }),
      { numRuns: 500 },
    );
  });

  it('keeps bigints and decimals exact through a round trip, and leaves out undefined properties', () => {
    const text = stringifyEncoded({ a: 2n ** 70n, b: new Dec('0.1').plus('0.2'), c: undefined, d: [undefined, 'x"\u2028'], e: -0 });
    expect(text).to.equal('{"a":{"$big":"1180591620717411303424"},"b":{"$dec":"0.3"},"d":[null,"x\\"\u2028"],"e":0}');
    const back = decodeSnapshot(text) as unknown as Record<string, unknown>;
    expect(back.a).to.equal(2n ** 70n);
    expect((back.b as Dec).toFixed()).to.equal('0.3');
  });

  it('keeps a key named __proto__ as a key through encoding, text and decoding (not as a prototype)', () => {
    const v = JSON.parse('{"__proto__":{"n":1},"a":[{"__proto__":""}]}') as unknown;
    const text = '{"__proto__":{"n":1},"a":[{"__proto__":""}]}';
    expect(stringifyEncoded(v)).to.equal(text);
    expect(JSON.stringify(encodeValue(v))).to.equal(text);
    const back = decodeSnapshot(text) as unknown as Record<string, unknown>;
    expect(Object.keys(back)).to.deep.equal(['__proto__', 'a']);
    expect(Object.getPrototypeOf(back)).to.equal(Object.prototype);
    expect(stringifyEncoded(back)).to.equal(text);
  });

  it('refuses a fractional or unsafe number, as the codec always did', () => {
    expect(() => stringifyEncoded({ amount: 0.1 })).to.throw(RangeError, /use a decimal/);
    expect(() => stringifyEncoded([2 ** 60])).to.throw(RangeError);
    expect(() => JSON.stringify(encodeValue({ amount: 0.1 }))).to.throw(RangeError);
  });
});
