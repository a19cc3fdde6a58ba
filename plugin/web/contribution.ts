import type express from 'express';
import type { RequestHandler, Router } from 'express';
import type { NavItem } from './nav.js';

/** What a plugin module contributes to the HTTP surface. */
export interface WebContribution {
  nav?: NavItem[];
  /** Admin pages; mounted behind login and CSRF protection. */
  pages?: (router: Router) => void;
  /** REST API under /api/v1; mounted behind bearer-token authentication. */
  api?: (router: Router) => void;
  /** Dashboard widgets: each a partial view and its finished model (none when there is nothing to say). */
  dashboard?: () => Promise<Array<{ view: string; model: Record<string, unknown> }>>;
  /** Routes with their own authentication (the agent API), mounted before the others. */
  raw?: (app: express.Express) => void;
  /**
   * Multipart form posts (file uploads), which the app's body parser cannot read. The app runs
   * `parse` for a POST to `path` only after the login check, then checks CSRF on the fields it
   * parsed; the module's page route for `path` follows as for any form.
   */
  uploads?: Array<{ path: string; parse: RequestHandler }>;
}
