import type express from 'express';
import type { PluginContext } from '../../context.js';

/**
 * /healthz: the process answers and the database answers (for monitoring).
 * /readyz: start-up finished and not shutting down (for a load balancer).
 */
export function healthRoutes(app: express.Express, ctx: PluginContext, isReady: () => boolean): void {
  app.get('/healthz', async (_req, res) => {
    try {
      await ctx.db.ping();
      res.json({ status: 'ok', database: 'ok' });
    } catch (err) {
      ctx.logger.warn('health check: database unreachable', { err });
      res.status(503).json({ status: 'failing', database: 'unreachable' });
    }
  });
  app.get('/readyz', (_req, res) => {
    if (isReady()) res.json({ status: 'ready' });
    else res.status(503).json({ status: 'not ready' });
  });
}
