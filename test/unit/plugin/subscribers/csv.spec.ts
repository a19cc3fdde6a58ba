import { expect } from 'chai';
import { CsvFileError, decodeUtf8, detectDelimiter, firstInvalidUtf8, parseAccountsCsv } from '../../../../plugin/subscribers/import/csv.js';

function thrown(fn: () => unknown): CsvFileError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CsvFileError) return err;
    throw err;
  }
  throw new Error('did not throw');
}

describe('reading an accounts CSV', () => {
  it('drops a UTF-8 byte-order mark', () => {
    expect(decodeUtf8(Buffer.from([0xef, 0xbb, 0xbf, 0x61]))).to.equal('a');
  });

  it('finds the first byte that is not UTF-8: stray, truncated, overlong and surrogate sequences', () => {
    expect(firstInvalidUtf8(Buffer.from('plain ascii'))).to.equal(-1);
    expect(firstInvalidUtf8(Buffer.from('Grüße 😀', 'utf8'))).to.equal(-1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0x80]))).to.equal(1);
    expect(firstInvalidUtf8(Buffer.from([0x61, 0xc3]))).to.equal(1);
    expect(firstInvalidUtf8(Buffer.from([0xc0, 0xaf]))).to.equal(0);
    expect(firstInvalidUtf8(Buffer.from([0xed, 0xa0, 0x80]))).to.equal(0);
  });

  it('names the line, byte and character of a Latin-1 file', () => {
    const err = thrown(() => decodeUtf8(Buffer.from('a,b\nc,Gr\xfc\xdfe\n', 'latin1')));
    expect(err.line).to.equal(2);
    expect(err.detail).to.contain('byte 9 of the file (0xfc, character 5 of the line)');
  });

  it('counts the byte-order mark in the byte position it reports', () => {
    const err = thrown(() => decodeUtf8(Buffer.from([0xef, 0xbb, 0xbf, 0x61, 0xff])));
    expect(err.detail).to.contain('byte 5 of the file');
  });

  it('picks the delimiter from the header line, ignoring quoted ones', () => {
    expect(detectDelimiter('a;b;c\n1,2;3')).to.equal(';');
    expect(detectDelimiter('a,b\n1;2;3;4')).to.equal(',');
    expect(detectDelimiter('"x;y;z",b,c')).to.equal(',');
  });

  it('accepts headers in any order and case, with spaces for underscores', () => {
    const file = parseAccountsCsv('Name, External ID ,E-mail\nAda,A-1,ada@example.net\n');
    expect(file.columns).to.deep.equal(['name', 'external_id', 'email']);
    expect(file.rows).to.deep.equal([{ line: 2, values: { name: 'Ada', external_id: 'A-1', email: 'ada@example.net' } }]);
  });

  it('refuses unknown, doubled and missing columns in one message naming line 1', () => {
    const err = thrown(() => parseAccountsCsv('external_id,colour,external_id\n'));
    expect(err.line).to.equal(1);
    expect(err.detail).to.contain('unknown column "colour"; column "external_id" appears twice; missing column "name"');
  });

  it('skips blank lines but keeps counting them', () => {
    const file = parseAccountsCsv('external_id,name\n\nA,Ada\n\nB,Bob\n');
    expect(file.rows.map((r) => r.line)).to.deep.equal([3, 5]);
  });

  it('refuses an empty file', () => {
    expect(thrown(() => parseAccountsCsv('')).detail).to.contain('the file is empty');
  });

  it('reports a stray quote with its line', () => {
    const err = thrown(() => parseAccountsCsv('external_id,name\nA,Ada"x\nB,Bob\n'));
    expect(err.line).to.equal(2);
    expect(err.detail).to.contain('not valid CSV: Invalid Opening Quote');
  });

  it('reports a quote never closed where the file ends', () => {
    const err = thrown(() => parseAccountsCsv('external_id,name\nA,"Ada\nB,Bob\n'));
    expect(err.line).to.equal(3);
    expect(err.detail).to.contain('Quote Not Closed');
  });
});
