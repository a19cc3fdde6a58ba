import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { z } from 'zod';
import { runOctet } from '../../support/cli.js';

const sh = promisify(execFile);
const VERSION = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/**
 * manifest.json as UISP's plugin docs describe it (UCRM-plugins docs/manifest.md): version "1",
 * information (lowercase name of letters, digits, - and _; compliancy with a min and a max or
 * null), configuration items, menu items, widgets, supportsWebhookEvents. Strict: a field the
 * docs do not name fails.
 */
const compliancy = z.strictObject({ min: z.string().min(1), max: z.string().min(1).nullable() });
const parameters = z.record(z.string(), z.string());
const manifestSchema = z.strictObject({
  version: z.literal('1'),
  information: z.strictObject({
    name: z.string().regex(/^[a-z0-9_-]+$/),
    displayName: z.string().min(1),
    description: z.string().min(1),
    url: z.string().url(),
    version: z.string().min(1),
    ucrmVersionCompliancy: compliancy.optional(),
    unmsVersionCompliancy: compliancy,
    author: z.string().min(1),
  }),
  configuration: z.array(
    z.strictObject({
      key: z.string().min(1),
      label: z.string().min(1),
      description: z.string().optional(),
      required: z.union([z.literal(0), z.literal(1)]).optional(),
      type: z.enum(['text', 'textarea', 'checkbox', 'choice', 'date', 'datetime', 'file']).optional(),
      choices: z.record(z.string(), z.string()).optional(),
    }),
  ),
  menu: z.array(
    z.strictObject({
      type: z.enum(['admin', 'client']),
      target: z.enum(['blank', 'iframe']),
      key: z.string().optional(),
      label: z.string().optional(),
      parameters: parameters.optional(),
    }),
  ),
  widgets: z.array(
    z.strictObject({
      position: z.enum(['dashboard', 'client/overview', 'client/service', 'client-zone/dashboard', 'client-zone/service']),
      iframeHeight: z.number().int().positive(),
      iframeUrlParameters: parameters.optional(),
    }),
  ),
  supportsWebhookEvents: z.boolean().optional(),
});

describe('the UISP CRM plugin ZIP (octet package uisp-zip)', function () {
  this.timeout(60_000);
  let dir: string;
  let zip: string;
  let manifest: z.output<typeof manifestSchema>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'octet-zip-spec-'));
    const res = await runOctet(['package', 'uisp-zip', '--out', join(dir, 'out')]);
    expect(res.code, res.stderr).to.equal(0);
    zip = res.stdout.trim();
    await sh('unzip', ['-q', zip, '-d', join(dir, 'plugin')]);
    manifest = manifestSchema.parse(JSON.parse(readFileSync(join(dir, 'plugin', 'manifest.json'), 'utf8')));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('is named octet-uisp-plugin-<package.json version>.zip and holds manifest.json, main.php and public.php at its root', async () => {
    expect(zip).to.equal(join(dir, 'out', `octet-uisp-plugin-${VERSION}.zip`));
    const names = (await sh('unzip', ['-Z1', zip])).stdout.trim().split('\n').sort();
    expect(names).to.deep.equal(['lib.php', 'main.php', 'manifest.json', 'public.php']);
  });

  it('has a manifest with the documented fields only, named octet, at the package version', () => {
    expect(manifest.information.name).to.equal('octet');
    expect(manifest.information.version).to.equal(VERSION);
    expect(manifest.information.unmsVersionCompliancy.max).to.equal(null);
  });

  it('asks for the Octet URL and the signing key, both required', () => {
    expect(manifest.configuration.map((c) => [c.key, c.required])).to.deep.equal([
      ['octetUrl', 1],
      ['octetSigningKey', 1],
    ]);
  });

  it('opens Octet in the CRM iframe from Billing and Reports, as a widget on the client overview, and takes webhooks', () => {
    expect(manifest.menu.map((m) => [m.key, m.type, m.target])).to.deep.equal([
      ['Billing', 'admin', 'iframe'],
      ['Billing', 'admin', 'iframe'],
      ['Reports', 'admin', 'iframe'],
    ]);
    expect(manifest.widgets.map((w) => [w.position, w.iframeUrlParameters?.page])).to.deep.equal([['client/overview', 'client']]);
    expect(manifest.supportsWebhookEvents).to.equal(true);
  });

  it('rejects a manifest field the docs do not name (the schema above is strict)', () => {
    const bad = { ...JSON.parse(readFileSync(join(dir, 'plugin', 'manifest.json'), 'utf8')), permissions: [] };
    expect(manifestSchema.safeParse(bad).success).to.equal(false);
  });

  it('has PHP files that php -l accepts', async () => {
    for (const file of ['main.php', 'public.php', 'lib.php']) {
      const { stdout } = await sh('php', ['-l', join(dir, 'plugin', file)]);
      expect(stdout, file).to.contain('No syntax errors detected');
    }
  });
});
