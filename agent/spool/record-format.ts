import { crc32 } from 'node:zlib';

/**
 * One spool record on disk:
 *
 *   u32 payload length | u32 CRC-32 of (seq bytes + payload) | u64 seq | payload (UTF-8 JSON)
 *
 * The CRC covers the sequence number too, so a record whose header survived a crash but whose
 * payload did not (a torn tail) is recognised and cut off on open. Big-endian throughout.
 */
export const HEADER_BYTES = 16;
/** Far above any real observation; a larger length field means a corrupt header. */
export const MAX_PAYLOAD_BYTES = 1 << 20;

/**
 * Encodes many records (payloads as JSON text) into one buffer, without a buffer per record: the
 * group commit writes it with a single write().
 */
export function encodeRecords(firstSeq: number, payloads: string[], knownLengths?: number[]): Buffer {
  // `knownLengths`: the payloads' UTF-8 lengths, when the caller has them already.
  const lengths = knownLengths ?? payloads.map((p) => Buffer.byteLength(p, 'utf8'));
  let total = 0;
  for (const n of lengths) total += HEADER_BYTES + n;
  const out = Buffer.allocUnsafe(total);
  let off = 0;
  for (let i = 0; i < payloads.length; i++) {
    const len = lengths[i]!;
    const seq = firstSeq + i;
    out.writeUInt32BE(len, off);
    // The u64 as two halves: exact below 2^53, and no BigInt per record.
    out.writeUInt32BE(Math.floor(seq / 2 ** 32), off + 8);
    out.writeUInt32BE(seq >>> 0, off + 12);
    out.write(payloads[i]!, off + HEADER_BYTES, len, 'utf8');
    out.writeUInt32BE(crc32(out.subarray(off + 8, off + HEADER_BYTES + len)), off + 4);
    off += HEADER_BYTES + len;
  }
  return out;
}

export interface DecodedRecord {
  seq: number;
  payload: Buffer;
  /** Offset just past this record, relative to the buffer handed to decodeRecords. */
  end: number;
}

export interface DecodeResult {
  records: DecodedRecord[];
  /** Offset of the first byte not part of a whole, valid record. */
  validEnd: number;
  /** True when bytes after validEnd are not a whole record (torn or corrupt), false when the buffer simply ended. */
  damaged: boolean;
}

/**
 * Decodes consecutive records from `buf`, stopping at the first incomplete or corrupt one.
 * `expectSeq`, when given, must match each record's sequence number in turn (a mismatch is
 * corruption as well).
 */
export function decodeRecords(buf: Buffer, max = Infinity, expectSeq?: number): DecodeResult {
  const records: DecodedRecord[] = [];
  let off = 0;
  let next = expectSeq;
  while (records.length < max) {
    if (buf.length - off < HEADER_BYTES) return { records, validEnd: off, damaged: buf.length > off };
    const len = buf.readUInt32BE(off);
    if (len > MAX_PAYLOAD_BYTES) return { records, validEnd: off, damaged: true };
    const end = off + HEADER_BYTES + len;
    if (end > buf.length) return { records, validEnd: off, damaged: true };
    const crc = buf.readUInt32BE(off + 4);
    if (crc32(buf.subarray(off + 8, end)) !== crc) return { records, validEnd: off, damaged: true };
    const seq = Number(buf.readBigUInt64BE(off + 8));
    if (next !== undefined && seq !== next) return { records, validEnd: off, damaged: true };
    records.push({ seq, payload: buf.subarray(off + HEADER_BYTES, end), end });
    off = end;
    if (next !== undefined) next++;
  }
  return { records, validEnd: off, damaged: false };
}
