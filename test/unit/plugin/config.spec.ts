import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../../plugin/common/errors.js';
import { loadPluginConfig } from '../../../plugin/config.js';

function fileWith(text: string, name = 'octet.yaml'): string {
  const file = join(mkdtempSync(join(tmpdir(), 'octet-config-')), name);
  writeFileSync(file, text);
  return file;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('plugin config', () => {
  it('fills every default from an empty file: SQLite under ./var, UTC, port 8080', () => {
    const config = loadPluginConfig(fileWith(''));
    expect(config.db.url).to.equal('sqlite:var/octet.db');
    expect(config.http.port).to.equal(8080);
    expect(config.billing.timezone).to.equal('UTC');
  });

  it('accepts the commented example in config/ as it ships', () => {
    const config = loadPluginConfig(join(process.cwd(), 'config', 'octet.example.yaml'));
    expect(config.db.url).to.equal('sqlite:var/octet.db');
  });

  it('accepts JSON as well as YAML', () => {
    const config = loadPluginConfig(fileWith('{"http": {"port": 9090}, "billing": {"timezone": "Europe/Berlin", "currency": "EUR"}}', 'octet.json'));
    expect(config.http.port).to.equal(9090);
    expect(config.billing.currency).to.equal('EUR');
  });

  it('names the file and the field of a value of the wrong type', () => {
    const file = fileWith('http:\n  port: eighty\n');
    const err = errorOf(() => loadPluginConfig(file));
    expect(err.message).to.contain(file);
    expect(err.issues[0]!.field).to.equal('http.port');
    expect(err.message).to.match(/http\.port: .*number/);
  });

  it('names an unknown key instead of ignoring it', () => {
    const err = errorOf(() => loadPluginConfig(fileWith('http:\n  prot: 80\n')));
    expect(err.issues).to.deep.equal([{ field: 'http.prot', message: 'unknown key' }]);
  });

  it('takes secrets from environment variables and names a missing one', () => {
    const file = fileWith('db:\n  url: mysql://octet:${OCTET_DB_PASSWORD}@db/octet\n');
    expect(loadPluginConfig(file, { OCTET_DB_PASSWORD: 's3cret' }).db.url).to.equal('mysql://octet:s3cret@db/octet');
    const err = errorOf(() => loadPluginConfig(file, {}));
    expect(err.issues).to.deep.equal([{ field: 'db.url', message: 'environment variable OCTET_DB_PASSWORD is not set' }]);
  });

  it('rejects an unknown time zone, naming it', () => {
    const err = errorOf(() => loadPluginConfig(fileWith('billing:\n  timezone: Mars/Olympus\n')));
    expect(err.issues[0]).to.deep.equal({ field: 'billing.timezone', message: 'is not a known IANA time zone (e.g. Europe/Berlin)' });
  });

  it('reports broken YAML with its line', () => {
    const err = errorOf(() => loadPluginConfig(fileWith('http:\n  port: [1, 2\n')));
    expect(err.message).to.match(/line \d+/);
    expect(err.message).to.contain('not valid YAML');
  });

  it('reports a missing file by name', () => {
    const err = errorOf(() => loadPluginConfig('/nonexistent/octet.yaml'));
    expect(err.message).to.equal('/nonexistent/octet.yaml: file not found');
  });
});
