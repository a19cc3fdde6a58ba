import type { Router } from 'express';
import type { PluginContext } from '../../context.js';

export function dashboardRoutes(router: Router, _ctx: PluginContext): void {
  router.get('/', (_req, res) => {
    res.render('dashboard', { title: 'Dashboard' });
  });
}
