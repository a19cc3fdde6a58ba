import { expect } from 'chai';
import { decodeAccountCursor, decodeIdCursor, encodeAccountCursor, encodeIdCursor, parseLimit } from '../../../../plugin/subscribers/cursor.js';
import { ValidationError } from '../../../../plugin/common/errors.js';

describe('page cursors', () => {
  it('round-trip the keyset position, whatever characters the name has', () => {
    const c = { name: 'Ünïcode "quoted", name', id: 42 };
    expect(decodeAccountCursor(encodeAccountCursor(c))).to.deep.equal(c);
    expect(decodeIdCursor(encodeIdCursor(7))).to.equal(7);
  });

  it('answer a forged or mangled cursor with a validation error on the cursor field', () => {
    for (const bad of ['', 'garbage', Buffer.from('[1,"x"]').toString('base64url'), Buffer.from('["a",-1]').toString('base64url')]) {
      expect(() => decodeAccountCursor(bad), bad).to.throw(ValidationError).with.property('issues').that.deep.equals([{ field: 'cursor', message: 'is not a cursor from a previous page' }]);
    }
    expect(() => decodeIdCursor(Buffer.from('[0]').toString('base64url'))).to.throw(ValidationError);
  });

  it('take page sizes from 1 to 200, 50 by default', () => {
    expect(parseLimit(undefined)).to.equal(50);
    expect(parseLimit('200')).to.equal(200);
    expect(() => parseLimit('0')).to.throw(ValidationError);
    expect(() => parseLimit('201')).to.throw(ValidationError);
    expect(() => parseLimit('1.5')).to.throw(ValidationError);
  });
});
