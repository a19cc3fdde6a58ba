import { expect } from 'chai';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { startOctet } from '../../support/cli.js';

/** Logs in through the real form and returns a fetch that keeps the session cookie. */
async function login(base: string, email: string, password: string): Promise<(path: string) => Promise<string>> {
  const first = await fetch(`${base}/login`);
  const cookie = first.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await first.text())![1]!;
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    body: new URLSearchParams({ email, password, _csrf: csrf, next: '/' }),
  });
  expect(res.status).to.equal(303);
  const session = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return async (path) => (await fetch(`${base}${path}`, { headers: { cookie: session } })).text();
}

async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe('octet demo (simulated router and NAS, agent and plugin on SQLite)', function () {
  this.timeout(120_000);
  let dir: string;
  let child: ChildProcess | undefined;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'octet-demo-'));
  });
  after(async () => {
    if (child && child.exitCode === null) {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows router and RADIUS usage in the plugin pages, and the logins nobody claimed', async () => {
    const started = await startOctet(['demo', '--dir', dir, '--port', '0', '--interval', '2'], /Password\s+(\S+)[\s\S]*Ctrl-C/, { timeoutMs: 60_000 });
    child = started.child;
    const out = started.output();
    const base = /Admin shell\s+(http:\/\/\S+)/.exec(out)![1]!;
    const get = await login(base, 'admin@demo.octet.example', started.match[1]!);

    // Polled PPP subscriber with an account, RADIUS subscriber with an account, and one without.
    await eventually(async () => {
      const page = await get('/usage');
      return /user0003[\s\S]*?Grace Hopper/.test(page) && /radius-01[\s\S]*?Ken Thompson/.test(page) && page.includes('user0006');
    }, 60_000);
    const unassigned = await get('/usage/unassigned');
    expect(unassigned).to.contain('user0006');
    expect(unassigned).not.to.contain('user0003');

    const health = await (await fetch(/Agent health\s+(http:\/\/\S+)/.exec(out)![1]!)).json() as { status?: string };
    expect(health).to.have.property('status');

    child.kill('SIGTERM');
    const [code] = await once(child, 'exit');
    expect(code).to.equal(0);
  });
});
