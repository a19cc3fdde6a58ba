import { expect } from 'chai';
import fc from 'fast-check';
import { decodeLength, encodeLength, encodeSentence, encodeSentences, SentenceDecoder } from '../../../../agent/routeros/codec.js';
import { RouterOsProtocolError } from '../../../../agent/routeros/errors.js';

/**
 * Length-prefix vectors from sources outside this repository. Each row names where it came from.
 */
const vectors: Array<{ length: number; hex: string; source: string }> = [
  // RouterOS API documentation (help.mikrotik.com/docs/spaces/ROS/pages/47579160/API, "API words"):
  // the range boundaries of the table, encoded as the table says (L, L|0x8000, L|0xC00000, L|0xE0000000, 0xF0 L).
  { length: 0x00, hex: '00', source: 'MikroTik API docs, 1-byte range' },
  { length: 0x7f, hex: '7f', source: 'MikroTik API docs, 1-byte range upper bound' },
  { length: 0x80, hex: '8080', source: 'MikroTik API docs, 2-byte range lower bound' },
  { length: 0x3fff, hex: 'bfff', source: 'MikroTik API docs, 2-byte range upper bound' },
  { length: 0x4000, hex: 'c04000', source: 'MikroTik API docs, 3-byte range lower bound' },
  { length: 0x1fffff, hex: 'dfffff', source: 'MikroTik API docs, 3-byte range upper bound' },
  { length: 0x200000, hex: 'e0200000', source: 'MikroTik API docs, 4-byte range lower bound' },
  { length: 0xfffffff, hex: 'efffffff', source: 'MikroTik API docs, 4-byte range upper bound' },
  { length: 0x10000000, hex: 'f010000000', source: 'MikroTik API docs, 5-byte range lower bound' },
  // luqasz/librouteros tests/unit/conftest.py (commit 00d936f1), fixture valid_word_length.
  { length: 0, hex: '00', source: 'librouteros tests/unit/conftest.py' },
  { length: 127, hex: '7f', source: 'librouteros tests/unit/conftest.py' },
  { length: 130, hex: '8082', source: 'librouteros tests/unit/conftest.py' },
  { length: 2097140, hex: 'dffff4', source: 'librouteros tests/unit/conftest.py' },
  { length: 268435440, hex: 'effffff0', source: 'librouteros tests/unit/conftest.py' },
  // jda/routeros-api-go mtbyteproto_test.go (commit 238cc66b), TestPrefixLen: one value per range.
  { length: 0x00000001, hex: '01', source: 'routeros-api-go mtbyteproto_test.go' },
  { length: 0x00000087, hex: '8087', source: 'routeros-api-go mtbyteproto_test.go' },
  { length: 0x00004321, hex: 'c04321', source: 'routeros-api-go mtbyteproto_test.go' },
  { length: 0x002acdef, hex: 'e02acdef', source: 'routeros-api-go mtbyteproto_test.go' },
  { length: 0x10000080, hex: 'f010000080', source: 'routeros-api-go mtbyteproto_test.go' },
];

describe('RouterOS word length encoding', () => {
  for (const v of vectors) {
    it(`encodes ${v.length} as ${v.hex} (${v.source})`, () => {
      expect(encodeLength(v.length).toString('hex')).to.equal(v.hex);
    });
    it(`decodes ${v.hex} as ${v.length} (${v.source})`, () => {
      const buf = Buffer.from(v.hex, 'hex');
      expect(decodeLength(buf)).to.deep.equal({ length: v.length, size: buf.length });
    });
  }

  it('round-trips every length across all five ranges', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        const enc = encodeLength(n);
        expect(decodeLength(enc)).to.deep.equal({ length: n, size: enc.length });
      }),
    );
  });

  it('reports an incomplete prefix as not yet decodable', () => {
    expect(decodeLength(Buffer.from('c040', 'hex'))).to.equal(null);
    expect(decodeLength(Buffer.from('f0100000', 'hex'))).to.equal(null);
  });

  it('rejects the reserved control bytes (0xF8 and above)', () => {
    expect(() => decodeLength(Buffer.from([0xf8]))).to.throw(RouterOsProtocolError);
    expect(() => decodeLength(Buffer.from([0xff]))).to.throw(RouterOsProtocolError);
  });
});

describe('RouterOS sentence framing', () => {
  it('ends a sentence with one zero-length word', () => {
    expect(encodeSentence(['/login', '=name=admin']).toString('hex')).to.equal(
      Buffer.concat([Buffer.from([6]), Buffer.from('/login'), Buffer.from([11]), Buffer.from('=name=admin'), Buffer.from([0])]).toString('hex'),
    );
  });

  it('counts lengths in bytes and keeps every byte value unchanged (latin1 mapping)', () => {
    const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const word = `=comment=${allBytes.toString('latin1')}`;
    const out: string[][] = [];
    new SentenceDecoder((w) => out.push(w)).push(encodeSentence(['!re', word]));
    expect(Buffer.from(out[0]![1]!, 'latin1').subarray(9).equals(allBytes)).to.equal(true);
  });

  it('refuses a character that is not one byte', () => {
    expect(() => encodeSentence(['=comment=中文'])).to.throw(RangeError, /U\+00FF/);
  });

  it('decodes sentences however the stream is split, including inside length prefixes', () => {
    const sentences = [
      ['!re', '=name=' + 'x'.repeat(0x90), '.tag=1'],
      ['!re', '=comment=' + 'y'.repeat(0x4100)],
      ['!done', '.tag=1'],
    ];
    const bytes = encodeSentences(sentences);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const out: string[][] = [];
        const d = new SentenceDecoder((w) => out.push(w));
        let prev = 0;
        for (const p of [...points, bytes.length]) {
          d.push(bytes.subarray(prev, p));
          prev = p;
        }
        expect(out).to.deep.equal(sentences);
        expect(d.midSentence).to.equal(false);
      }),
      { numRuns: 200 },
    );
  });

  it('skips empty sentences, as the router does', () => {
    const out: string[][] = [];
    new SentenceDecoder((w) => out.push(w)).push(Buffer.concat([Buffer.from([0, 0]), encodeSentence(['!done'])]));
    expect(out).to.deep.equal([['!done']]);
  });

  it('refuses a word larger than the configured limit', () => {
    const d = new SentenceDecoder(() => {}, { maxWordBytes: 100 });
    expect(() => d.push(encodeLength(101))).to.throw(RouterOsProtocolError, /exceeds/);
  });
});
