import { RouterOsProtocolError } from './errors.js';

/**
 * RouterOS API framing (reference/routeros.md §1): a word is a length prefix (1 to 5 bytes) and
 * that many bytes; a sentence is words ending in a zero-length word.
 *
 * Words are bytes. RouterOS declares no character set and stores whatever bytes a client wrote
 * (Winbox writes the Windows code page, some clients UTF-8). We map bytes to JavaScript strings
 * with latin1 (ISO-8859-1), which is a bijection between bytes 0-255 and code points U+0000-U+00FF:
 * every byte the router sends comes back unchanged when we send the string again, and lengths
 * are counted in bytes. A string we send must therefore contain only code points up to U+00FF.
 * We do not use win1252: it leaves five bytes undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D), so it
 * cannot round-trip every byte.
 */

/** Code points above U+00FF cannot be one byte each; see the module comment. */
const NOT_A_BYTE = /[^\x00-\xff]/;

export function encodeLength(length: number): Buffer {
  const out = Buffer.allocUnsafe(lengthPrefixSize(length));
  writeLength(out, 0, length);
  return out;
}

export function lengthPrefixSize(length: number): number {
  if (!Number.isInteger(length) || length < 0 || length > 0xffffffff) {
    throw new RangeError(`word length out of range: ${length}`);
  }
  if (length < 0x80) return 1;
  if (length < 0x4000) return 2;
  if (length < 0x200000) return 3;
  if (length < 0x10000000) return 4;
  return 5;
}

function writeLength(buf: Buffer, off: number, length: number): number {
  if (length < 0x80) {
    buf[off] = length;
    return off + 1;
  }
  if (length < 0x4000) {
    buf.writeUInt16BE(length | 0x8000, off);
    return off + 2;
  }
  if (length < 0x200000) {
    buf[off] = (length >>> 16) | 0xc0;
    buf.writeUInt16BE(length & 0xffff, off + 1);
    return off + 3;
  }
  if (length < 0x10000000) {
    buf.writeUInt32BE((length | 0xe0000000) >>> 0, off);
    return off + 4;
  }
  buf[off] = 0xf0;
  buf.writeUInt32BE(length, off + 1);
  return off + 5;
}

/** Decodes one length prefix; returns null when `buf` does not yet hold all of it. */
export function decodeLength(buf: Buffer, off = 0): { length: number; size: number } | null {
  if (off >= buf.length) return null;
  const b = buf[off]!;
  if (b < 0x80) return { length: b, size: 1 };
  if (b < 0xc0) {
    if (off + 2 > buf.length) return null;
    return { length: buf.readUInt16BE(off) & 0x3fff, size: 2 };
  }
  if (b < 0xe0) {
    if (off + 3 > buf.length) return null;
    return { length: ((b & 0x1f) << 16) | buf.readUInt16BE(off + 1), size: 3 };
  }
  if (b < 0xf0) {
    if (off + 4 > buf.length) return null;
    return { length: buf.readUInt32BE(off) & 0x0fffffff, size: 4 };
  }
  if (b === 0xf0) {
    if (off + 5 > buf.length) return null;
    return { length: buf.readUInt32BE(off + 1), size: 5 };
  }
  // API7: a first byte of 0xF8 or above is a reserved control byte; 0xF1-0xF7 are undefined.
  throw new RouterOsProtocolError(`unexpected control byte 0x${b.toString(16)} in length prefix`);
}

export function assertBytes(word: string): void {
  if (NOT_A_BYTE.test(word)) {
    throw new RangeError(
      'RouterOS words are bytes: this value has a character above U+00FF; encode it to bytes (latin1 string) first',
    );
  }
}

/** Encodes several sentences into one buffer, so a reply goes out in one socket write. */
export function encodeSentences(sentences: readonly (readonly string[])[]): Buffer {
  let size = 0;
  for (const words of sentences) {
    for (const w of words) {
      assertBytes(w);
      size += lengthPrefixSize(w.length) + w.length;
    }
    size += 1;
  }
  const buf = Buffer.allocUnsafe(size);
  let off = 0;
  for (const words of sentences) {
    for (const w of words) {
      off = writeLength(buf, off, w.length);
      off += buf.write(w, off, 'latin1');
    }
    buf[off++] = 0;
  }
  return buf;
}

export function encodeSentence(words: readonly string[]): Buffer {
  return encodeSentences([words]);
}

export interface SentenceDecoderOptions {
  /** Largest word accepted; guards memory against a broken or hostile peer. */
  maxWordBytes?: number;
}

/**
 * Incremental decoder: feed it whatever the socket delivers (any split, including inside a
 * length prefix) and it calls `onSentence` once per complete sentence. Empty sentences are
 * skipped, as the router does.
 */
export class SentenceDecoder {
  private parts: Buffer[] = [];
  private partsLength = 0;
  /** Bytes needed in `parts` before parsing can make progress. */
  private need = 1;
  private words: string[] = [];
  private readonly maxWordBytes: number;

  constructor(
    private readonly onSentence: (words: string[]) => void,
    options: SentenceDecoderOptions = {},
  ) {
    this.maxWordBytes = options.maxWordBytes ?? 64 * 1024 * 1024;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.parts.push(chunk);
    this.partsLength += chunk.length;
    // A long word spread over many TCP segments is gathered first, not re-concatenated per chunk.
    if (this.partsLength < this.need) return;
    const buf = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.partsLength);
    this.parts = [];
    this.partsLength = 0;
    this.need = 1;
    let off = 0;
    const len = buf.length;
    while (off < len) {
      const prefix = decodeLength(buf, off);
      if (prefix === null) {
        this.need = Math.min(5, len - off + 1);
        break;
      }
      if (prefix.length > this.maxWordBytes) {
        throw new RouterOsProtocolError(`word of ${prefix.length} bytes exceeds the limit of ${this.maxWordBytes}`);
      }
      const end = off + prefix.size + prefix.length;
      if (end > len) {
        this.need = end - off;
        break;
      }
      if (prefix.length === 0) {
        const words = this.words;
        this.words = [];
        if (words.length > 0) this.onSentence(words);
      } else {
        this.words.push(buf.toString('latin1', off + prefix.size, end));
      }
      off = end;
    }
    if (off < len) {
      const rest = buf.subarray(off);
      this.parts.push(rest);
      this.partsLength = rest.length;
    }
  }

  /** True when a sentence or word has started but not finished (e.g. the socket closed mid-reply). */
  get midSentence(): boolean {
    return this.words.length > 0 || this.partsLength > 0;
  }
}
