import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { plainAccountingResponse } from './frame.js';

/**
 * A typed face for the `radius` package (it ships no types). The package keeps its dictionaries
 * in module state; `createRadiusCodec` adds ours and forces a reload so they are in effect even if
 * someone decoded before.
 */
export type AttributeValue = string | number | Date | Buffer | AttributeMap | AttributeValue[];
export interface AttributeMap {
  [name: string]: AttributeValue;
}

export interface DecodedPacket {
  code: string;
  identifier: number;
  length: number;
  authenticator: Buffer;
  attributes: AttributeMap;
  raw_attributes: Array<[number, Buffer]>;
}

export type EncodeAttribute = [string | number, ...unknown[]];

interface RadiusLib {
  add_dictionary(file: string): void;
  unload_dictionaries(): void;
  load_dictionaries(): void;
  decode(args: { packet: Buffer; secret?: string; no_secret?: boolean }): DecodedPacket;
  encode(args: {
    code: string;
    secret: string;
    identifier?: number;
    attributes?: EncodeAttribute[];
    add_message_authenticator?: boolean;
  }): Buffer;
  encode_response(args: { packet: DecodedPacket; code: string; secret: string; attributes?: EncodeAttribute[] }): Buffer;
}

export interface RadiusCodec {
  /** Decodes a packet whose authenticator the caller already verified. Throws on undecodable attributes. */
  decodeVerified(packet: Buffer): DecodedPacket;
  /** `secretBytes`: the secret as UTF-8, if the caller keeps it (saves an allocation per answer). */
  accountingResponse(request: DecodedPacket, secret: string, secretBytes?: Buffer): Buffer;
  encodeRequest(args: { code: string; secret: string; identifier: number; attributes: EncodeAttribute[] }): Buffer;
  /** Vendor ids with a loaded dictionary (their VSAs are decoded by name). */
  knownVendors: ReadonlySet<number>;
}

const require = createRequire(import.meta.url);

export function createRadiusCodec(dictionaryFiles: string[]): RadiusCodec {
  const lib = require('radius') as RadiusLib;
  const locations = (lib as unknown as { _octetDictionaries?: Set<string> })._octetDictionaries ?? new Set<string>();
  (lib as unknown as { _octetDictionaries?: Set<string> })._octetDictionaries = locations;
  for (const f of dictionaryFiles) {
    if (!locations.has(f)) {
      lib.add_dictionary(f);
      locations.add(f);
    }
  }
  lib.unload_dictionaries();
  lib.load_dictionaries();
  const knownVendors = new Set<number>();
  for (const f of dictionaryFiles) {
    for (const m of readFileSync(f, 'ascii').matchAll(/^\s*VENDOR\s+\S+\s+(\d+)/gm)) knownVendors.add(Number(m[1]));
  }
  return {
    decodeVerified: (packet) => lib.decode({ packet, no_secret: true }),
    accountingResponse: (request, secret, secretBytes) =>
      plainResponse(request, secretBytes ?? Buffer.from(secret, 'utf8')) ?? lib.encode_response({ packet: request, code: 'Accounting-Response', secret }),
    encodeRequest: (args) => lib.encode({ ...args, add_message_authenticator: false }),
    knownVendors,
  };
}

const ATTR_PROXY_STATE = 33;
const ATTR_MESSAGE_AUTHENTICATOR = 80;

/**
 * The common Accounting-Response (frame.ts); a request carrying Proxy-State (echoed) or a
 * Message-Authenticator (then expected in the answer) goes through the library instead
 * (returns undefined here).
 */
function plainResponse(request: DecodedPacket, secretBytes: Buffer): Buffer | undefined {
  for (const [type] of request.raw_attributes) {
    if (type === ATTR_PROXY_STATE || type === ATTR_MESSAGE_AUTHENTICATOR) return undefined;
  }
  return plainAccountingResponse(request.identifier, request.authenticator, secretBytes);
}
