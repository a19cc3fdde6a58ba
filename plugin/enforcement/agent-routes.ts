import express, { type NextFunction, type Request, type Response } from 'express';
import { bearerToken } from '../api/router.js';
import { AuthenticationError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import { AGENT_API_PREFIX } from '../common/wire.js';
import type { AgentsService } from '../ingest/index.js';
import { AgentStream } from './agent-stream.js';
import type { EnforcementService } from './enforcement.service.js';

export interface AgentRoutesDeps {
  agents: AgentsService;
  enforcement: EnforcementService;
  logger: Logger;
  pollMs: number;
  pingMs?: number;
  errorHandler: (err: unknown, req: Request, res: Response, next: NextFunction) => void;
}

/**
 * GET /enforcement/desired, GET /enforcement/stream, POST /enforcement/applied under the agent
 * API, with the agent's own token (checked before the body is read), as network's status is.
 * Returns what closes the open streams (when the plugin stops).
 */
export function mountEnforcementAgentApi(app: express.Express, deps: AgentRoutesDeps): { closeStreams(): void } {
  const streams = new Set<AgentStream>();
  const router = express.Router();
  const auth = async (req: Request, res: Response, next: NextFunction) => {
    res.locals.agent = await deps.agents.authenticate(bearerToken(req));
    next();
  };
  const agentName = (res: Response) => (res.locals.agent as { name: string }).name;
  router.get('/enforcement/desired', auth, async (_req, res) => {
    res.json(await deps.enforcement.snapshot(agentName(res)));
  });
  router.get('/enforcement/stream', auth, async (req, res) => {
    const token = bearerToken(req);
    const agentId = (res.locals.agent as { id: number }).id;
    const stream: AgentStream = new AgentStream({
      agentName: agentName(res),
      enforcement: deps.enforcement,
      res,
      pollMs: deps.pollMs,
      pingMs: deps.pingMs ?? 15_000,
      logger: deps.logger,
      // Only a refused token ends the stream; a database hiccup is retried at the next tick.
      stillAuthorized: () => deps.agents.authenticate(token).then((a) => a.id === agentId, (err: unknown) => (err instanceof AuthenticationError ? false : Promise.reject(err))),
      onClose: () => streams.delete(stream),
    });
    streams.add(stream);
    await stream.open();
  });
  router.post('/enforcement/applied', auth, express.json({ limit: '8mb' }), async (_req, res) => {
    res.status(200).json(await deps.enforcement.recordApplied({ name: agentName(res) }, _req.body));
  });
  router.use('/enforcement', deps.errorHandler);
  app.use(AGENT_API_PREFIX, router);
  return { closeStreams: () => [...streams].forEach((s) => s.close()) };
}
