export { RouterOsClient, parseAttributes } from './client.js';
export type { Reply, Row, RouterOsConnectOptions, RouterOsTlsOptions, CommandOptions, PrintOptions } from './client.js';
export * from './errors.js';
export { encodeLength, decodeLength, encodeSentence, encodeSentences, SentenceDecoder } from './codec.js';
export { backoffDelay, type BackoffPolicy } from './backoff.js';
