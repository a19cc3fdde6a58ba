import { expect } from 'chai';
import { decodeRouterText, encodeRouterText, RouterText } from '../../../../agent/routeros/text.js';

/** Issue 12, item 13: UTF-8 logins from routers arrived garbled (`müller` as `mÃ¼ller`). */
const bytesOf = (s: string, enc: BufferEncoding) => Buffer.from(s, enc).toString('latin1');

describe('RouterOS text', () => {
  it('reads a RouterOS 7 UTF-8 login as the same name RADIUS decodes', () => {
    expect(decodeRouterText(bytesOf('müller', 'utf8'), 'utf-8')).to.equal('müller');
    expect(decodeRouterText(bytesOf('Željko-北京', 'utf8'), 'utf-8')).to.equal('Željko-北京');
  });

  it('keeps the bytes of a word that is not valid UTF-8, one character per byte', () => {
    const raw = String.fromCharCode(0x6d, 0xfc, 0x6c, 0x6c, 0x65, 0x72); // Latin-1 "müller"
    const text = decodeRouterText(raw, 'utf-8');
    expect(Buffer.from(text, 'latin1')).to.deep.equal(Buffer.from(raw, 'latin1'));
    expect(text).to.not.include('\ufffd');
  });

  it('reads a RouterOS 6 router set to its Windows code page', () => {
    expect(decodeRouterText(String.fromCharCode(0xcf, 0xe5, 0xf2, 0xf0), 'windows-1251')).to.equal('Петр');
    expect(decodeRouterText(String.fromCharCode(0x9a, 0x61), 'windows-1250')).to.equal('ša');
  });

  it('sends back exactly the bytes the router gave for a name it read, valid UTF-8 or not', () => {
    const text = new RouterText('utf-8');
    for (const raw of [bytesOf('müller', 'utf8'), String.fromCharCode(0x6d, 0xfc), String.fromCharCode(0xc3), 'ann']) {
      expect(text.encode(text.decode(raw))).to.equal(raw);
    }
    const cp = new RouterText('windows-1251');
    const raw = String.fromCharCode(0xcf, 0xe5, 0xf2, 0xf0);
    expect(cp.encode(cp.decode(raw))).to.equal(raw);
  });

  it('encodes new text in the router encoding, and refuses what the code page cannot express', () => {
    expect(encodeRouterText('müller', 'utf-8')).to.equal(bytesOf('müller', 'utf8'));
    expect(encodeRouterText('Петр', 'windows-1251')).to.equal(String.fromCharCode(0xcf, 0xe5, 0xf2, 0xf0));
    expect(encodeRouterText('北京', 'windows-1251')).to.equal(null);
  });
});
