import { parentPort } from 'node:worker_threads';
import { errorMessage } from '../../common/errors.js';
import { fromWire, rateChunk, toWire, type ChunkToRate, type WireRequest, type WireResponse } from './rating-pool.js';

/** The rating worker (rating-pool.ts): a chunk in, its outcomes out, in order. */
parentPort!.on('message', (m: WireRequest) => {
  let reply: WireResponse;
  try {
    const chunk = fromWire(m.chunk) as Omit<ChunkToRate, 'usage'>;
    reply = { id: m.id, outcomes: toWire(rateChunk({ ...chunk, usage: m.usage })) };
  } catch (err) {
    reply = { id: m.id, error: errorMessage(err) };
  }
  parentPort!.postMessage(reply);
});
