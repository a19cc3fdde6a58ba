import type { Router } from 'express';
import type { PluginContext } from '../../context.js';
import { networkAttention } from '../../network/index.js';

export function dashboardRoutes(router: Router, ctx: PluginContext): void {
  router.get('/', async (_req, res) => {
    // Routers down, NASes or agents silent: the Network page has the details.
    const attention = await networkAttention(ctx);
    const widgets = attention > 0 ? [{ view: 'network/attention', model: { attention } }] : [];
    res.render('dashboard', { title: 'Dashboard', widgets });
  });
}
