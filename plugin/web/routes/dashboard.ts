import type { Router } from 'express';
import type { PluginContext } from '../../context.js';
import { networkAttention } from '../../network/index.js';
import type { WebContribution } from '../contribution.js';

export function dashboardRoutes(router: Router, ctx: PluginContext, contributions: WebContribution[] = []): void {
  router.get('/', async (_req, res) => {
    // Routers down, NASes or agents silent: the Network page has the details.
    const attention = await networkAttention(ctx);
    const widgets: Array<{ view: string; model: Record<string, unknown> }> = attention > 0 ? [{ view: 'network/attention', model: { attention } }] : [];
    // Modules' widgets (invoicing: this period's invoiced total against the last one's).
    for (const c of contributions) if (c.dashboard) widgets.push(...(await c.dashboard()));
    res.render('dashboard', { title: 'Dashboard', widgets });
  });
}
