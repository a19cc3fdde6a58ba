/**
 * Text in RouterOS words (pure). The client hands words over as byte strings (latin1: one
 * character per byte, codec.ts), because RouterOS stores whatever bytes a client wrote. What
 * those bytes mean is a per-router setting:
 *
 * - `utf-8` (RouterOS 7 keeps text in UTF-8; the default): a word that is valid UTF-8 is read as
 *   UTF-8, so `müller` arrives as `müller`, as RADIUS decodes the same User-Name. A word that is
 *   not valid UTF-8 keeps its bytes one character each (U+0000-U+00FF), never replaced or merged.
 * - a Windows code page (`windows-1250`, `-1251`, `-1252`), as Winbox wrote text on RouterOS 6.
 * - `latin1`: bytes as they are.
 *
 * Writes back to the router (an address-list entry, a PPP secret name) must carry the bytes the
 * router gave: `RouterText.encode` returns the router's own bytes for any text it decoded, and
 * encodes new text in the router's encoding.
 */
export type RouterTextEncoding = 'utf-8' | 'windows-1250' | 'windows-1251' | 'windows-1252' | 'latin1';

const ASCII = /^[\x00-\x7f]*$/;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Byte -> character of a single-byte code page, and back (built from the WHATWG tables). */
function codePage(name: string): { decode: string[]; encode: Map<string, number> } {
  const d = new TextDecoder(name);
  const decode: string[] = [];
  const encode = new Map<string, number>();
  for (let b = 0; b < 256; b++) {
    const c = d.decode(Uint8Array.of(b));
    decode.push(c);
    if (!encode.has(c)) encode.set(c, b);
  }
  return { decode, encode };
}

const pages = new Map<string, ReturnType<typeof codePage>>();
function page(name: string): ReturnType<typeof codePage> {
  let p = pages.get(name);
  if (!p) pages.set(name, (p = codePage(name)));
  return p;
}

/** Bytes (as a latin1 byte string) -> text. */
export function decodeRouterText(raw: string, encoding: RouterTextEncoding): string {
  if (ASCII.test(raw) || encoding === 'latin1') return raw;
  const bytes = Buffer.from(raw, 'latin1');
  if (encoding === 'utf-8') {
    try {
      return utf8.decode(bytes);
    } catch {
      return raw;
    }
  }
  const p = page(encoding);
  let out = '';
  for (const b of bytes) out += p.decode[b]!;
  return out;
}

/** Text -> bytes (as a latin1 byte string) in the router's encoding; null when it cannot be expressed. */
export function encodeRouterText(text: string, encoding: RouterTextEncoding): string | null {
  if (ASCII.test(text)) return text;
  if (encoding === 'utf-8') return Buffer.from(text, 'utf8').toString('latin1');
  if (encoding === 'latin1') return /^[\x00-\xff]*$/.test(text) ? text : null;
  const p = page(encoding);
  let out = '';
  for (const c of text) {
    const b = p.encode.get(c);
    if (b === undefined) return null;
    out += String.fromCharCode(b);
  }
  return out;
}

/**
 * One router's text codec. It remembers the bytes behind every text it decoded, so that a write
 * of that text sends exactly those bytes back, whatever the encoding guessed.
 */
export class RouterText {
  private readonly rawOf = new Map<string, string>();
  constructor(readonly encoding: RouterTextEncoding) {}

  decode(raw: string): string;
  decode(raw: string | undefined): string | undefined;
  decode(raw: string | undefined): string | undefined {
    if (raw === undefined) return undefined;
    const text = decodeRouterText(raw, this.encoding);
    // Invalid UTF-8 read byte for byte looks like Latin-1 text, whose UTF-8 would be other bytes.
    if (!ASCII.test(raw)) this.rawOf.set(text, raw);
    return text;
  }

  /** The bytes to send for `text`: the router's own if it gave us this text, else encoded. */
  encode(text: string): string | null {
    return this.rawOf.get(text) ?? encodeRouterText(text, this.encoding);
  }
}
