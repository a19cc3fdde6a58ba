import express, { type NextFunction, type Request, type Response } from 'express';
import type { AgentInfo } from './agents.repository.js';
import type { AgentsService } from './agents.service.js';
import { bearerToken } from '../api/router.js';
import { AGENT_API_PREFIX } from '../common/wire.js';
import type { IngestService } from './ingest.service.js';
import type { InventoryService } from './inventory.service.js';

/** 10,000 records of the largest allowed size fit; so does an inventory of 200,000 entries. */
export const BATCH_BODY_LIMIT = '32mb';
export const INVENTORY_BODY_LIMIT = '64mb';

export interface AgentApiDeps {
  agents: AgentsService;
  ingest: IngestService;
  inventory: InventoryService;
  /** Called after a batch stored new observations (the near-synchronous rollup hangs on it). */
  onAccepted: () => void;
  errorHandler: (err: unknown, req: Request, res: Response, next: NextFunction) => void;
}

/**
 * The agent API (agent bearer tokens, not staff API tokens): the token is checked before the
 * body is even read, so a request with a missing, wrong or revoked token records nothing.
 */
export function mountAgentApi(app: express.Express, deps: AgentApiDeps): void {
  const router = express.Router();
  router.use(async (req, res, next) => {
    res.locals.agent = await deps.agents.authenticate(bearerToken(req));
    next();
  });
  router.post('/batches', express.json({ limit: BATCH_BODY_LIMIT }), async (req, res) => {
    const ack = await deps.ingest.ingestBatch(res.locals.agent as AgentInfo, req.body);
    if (ack.accepted > 0) deps.onAccepted();
    res.status(200).json(ack);
  });
  router.post('/inventory', express.json({ limit: INVENTORY_BODY_LIMIT }), async (req, res) => {
    await deps.inventory.store(res.locals.agent as AgentInfo, req.body);
    res.status(204).end();
  });
  router.use((_req, res) => {
    res.status(404).json({ error: { message: 'no such agent endpoint', issues: [] } });
  });
  router.use(deps.errorHandler);
  app.use(AGENT_API_PREFIX, router);
}
