import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { requireApiRole, bearerToken } from '../api/router.js';
import { AGENT_API_PREFIX } from '../common/wire.js';
import type { AgentsService } from '../ingest/index.js';
import { requireRole } from '../web/guards.js';
import type { NetworkService } from './network.service.js';

/** POST /api/v1/agent/status with the agent's own token (checked before the body is read). */
export function mountStatusEndpoint(
  app: express.Express,
  deps: { agents: AgentsService; network: NetworkService; errorHandler: (err: unknown, req: Request, res: Response, next: NextFunction) => void },
): void {
  const router = express.Router();
  router.post(
    '/status',
    async (req, res, next) => {
      res.locals.agent = await deps.agents.authenticate(bearerToken(req));
      next();
    },
    express.json({ limit: '4mb' }),
    async (req, res) => {
      await deps.network.store(res.locals.agent as { id: number; name: string }, req.body);
      res.status(204).end();
    },
  );
  router.use('/status', deps.errorHandler);
  app.use(AGENT_API_PREFIX, router);
}

export function networkPages(router: Router, deps: { network: NetworkService }): void {
  router.get('/network', requireRole('readonly'), async (_req, res) => {
    const view = await deps.network.view();
    res.render('network/index', { title: 'Network', ...view, silentAfterMinutes: deps.network.silentAfterMinutes });
  });
}

export function networkApi(router: Router, deps: { network: NetworkService }): void {
  router.get('/network', requireApiRole('readonly'), async (_req, res) => {
    res.json(await deps.network.view());
  });
}
