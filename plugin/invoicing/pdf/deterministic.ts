import { createHash } from 'node:crypto';

/**
 * Chromium (Skia) writes the render time into the PDF's Info dictionary as
 * /CreationDate (D:YYYYMMDDHHmmss+00'00') and /ModDate; nothing else in its output depends on
 * the clock (checked by re-rendering: the bytes differ only there). Both are replaced with the
 * invoice's issue instant, in a string of the same length, so the cross-reference offsets stay
 * valid and re-rendering an issued invoice gives the same bytes.
 */
const DATE = /\/(CreationDate|ModDate) \(D:\d{14}[+\-Z][^)]*\)/g;

export function pdfDate(issuedAt: Date): string {
  const iso = issuedAt.toISOString(); // 2026-01-01T00:00:00.000Z
  return `D:${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

export function stampPdfDates(pdf: Buffer, issuedAt: Date): Buffer {
  // latin1 maps every byte to one char and back, so binary streams survive the round trip.
  const text = pdf.toString('latin1');
  const stamp = pdfDate(issuedAt);
  const out = text.replace(DATE, (whole, key: string) => {
    const value = whole.slice(key.length + 3, -1); // inside the parentheses
    const replacement = (stamp + "+00'00'").padEnd(value.length, ' ').slice(0, value.length);
    return `/${key} (${replacement})`;
  });
  return Buffer.from(out, 'latin1');
}

export function sha256Hex(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
