import { expect } from 'chai';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../../plugin/common/errors.js';
import { loadPluginConfig, pluginConfigSchema } from '../../../../plugin/config.js';

const EXAMPLE = join(process.cwd(), 'config', 'octet.example.yaml');
const ENV = { SPLYNX_API_KEY: 'key-from-env', SPLYNX_API_SECRET: 'secret-from-env' };

/** The example file with its commented Splynx block switched on instead of `host: standalone`. */
function exampleWithSplynx(): string {
  const lines = readFileSync(EXAMPLE, 'utf8').split('\n');
  const start = lines.findIndex((l) => l === '# host:');
  expect(start, 'the example has a commented host: block').to.be.greaterThan(0);
  let end = start;
  while (end < lines.length && /^# {0,}\S/.test(lines[end]!) && (lines[end] === '# host:' || lines[end]!.startsWith('#  '))) end++;
  const block = lines.slice(start, end).map((l) => l.replace(/^# ?/, ''));
  const rest = [...lines.slice(0, start), ...lines.slice(end)].filter((l) => l !== 'host: standalone');
  const dir = mkdtempSync(join(tmpdir(), 'octet-host-config-'));
  const file = join(dir, 'octet.yaml');
  writeFileSync(file, [...rest, ...block].join('\n'));
  return file;
}

describe('host configuration', () => {
  it('keeps host: standalone valid, and standalone is the default', () => {
    expect(pluginConfigSchema.parse({ host: 'standalone' }).host).to.deep.equal({ kind: 'standalone' });
    expect(pluginConfigSchema.parse({}).host).to.deep.equal({ kind: 'standalone' });
  });

  it('accepts the commented Splynx example of config/octet.example.yaml once uncommented, secrets from the environment', () => {
    const config = loadPluginConfig(exampleWithSplynx(), ENV);
    expect(config.host.kind).to.equal('splynx');
    if (config.host.kind !== 'splynx') return;
    expect(config.host.splynx).to.include({ url: 'https://splynx.isp.example', apiKey: 'key-from-env', apiSecret: 'secret-from-env', charges: 'transactions', dunning: 'splynx' });
    expect(config.host.splynx.roleMap).to.deep.include({ accountant: 'billing', administrator: 'admin' });
    expect(config.host.splynx.tariffMap).to.deep.equal({ 'Home 100': 'home-100' });
  });

  it('names the missing environment variable of the API secret', () => {
    const err = (() => {
      try {
        loadPluginConfig(exampleWithSplynx(), { SPLYNX_API_KEY: 'k' });
      } catch (e) {
        return e;
      }
    })();
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as Error).message).to.contain('SPLYNX_API_SECRET');
  });

  it('names an unknown Splynx setting instead of ignoring it', () => {
    const r = pluginConfigSchema.safeParse({ host: { kind: 'splynx', splynx: { url: 'https://s.example', apiKey: 'k', apiSecret: 's', chargez: 'invoices' } } });
    expect(r.success).to.equal(false);
    expect(r.error!.issues.map((i) => [i.path.join('.'), i.message])).to.deep.equal([['host.splynx', 'Unrecognized key: "chargez"']]);
  });

  it('refuses a role map to a role Octet does not have, and a charges mode Splynx has no record for', () => {
    const base = { kind: 'splynx', splynx: { url: 'https://s.example', apiKey: 'k', apiSecret: 's' } };
    expect(pluginConfigSchema.safeParse({ host: { ...base, splynx: { ...base.splynx, roleMap: { manager: 'owner' } } } }).success).to.equal(false);
    expect(pluginConfigSchema.safeParse({ host: { ...base, splynx: { ...base.splynx, charges: 'credit-notes' } } }).success).to.equal(false);
  });
});
