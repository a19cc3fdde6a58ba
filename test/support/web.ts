import type express from 'express';
import request from 'supertest';
import type { Role } from '../../plugin/auth/roles.js';
import type { PluginContext } from '../../plugin/context.js';

export type Browser = ReturnType<typeof request.agent>;

export function csrfFrom(html: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!m) throw new Error('page has no CSRF token');
  return m[1]!;
}

/** A staff user with a known password. */
export async function createStaff(ctx: PluginContext, role: Role, email = `${role}@isp.example`): Promise<{ email: string; password: string }> {
  const password = `correct horse ${role} battery`;
  await ctx.services.auth.createUser({ email, name: `${role} person`, role, password }, 'test');
  return { email, password };
}

/** A cookie-keeping client, logged in through the real login form. */
export async function loggedIn(app: express.Express, creds: { email: string; password: string }): Promise<Browser> {
  const browser = request.agent(app);
  const page = await browser.get('/login').expect(200);
  await browser
    .post('/login')
    .type('form')
    .send({ email: creds.email, password: creds.password, _csrf: csrfFrom(page.text), next: '/' })
    .expect(303);
  return browser;
}

/** The CSRF token of any page the client can see. */
export async function csrfOf(browser: Browser, path = '/'): Promise<string> {
  const page = await browser.get(path).expect(200);
  return csrfFrom(page.text);
}
