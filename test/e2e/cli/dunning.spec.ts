import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { runOctet } from '../../support/cli.js';
import { forEachDatabase } from '../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../support/plugin.js';
import { overdueCustomer } from '../../integration/plugin/dunning/helpers.js';

/** `octet dunning [--dry-run]` as an operator runs it, in its own process on the wall clock. */
forEachDatabase('octet dunning (process)', (dialect) => {
  let plugin: TestPlugin;
  let dir: string;
  let configFile: string;
  let customer: Awaited<ReturnType<typeof overdueCustomer>>;

  before(async () => {
    plugin = await createTestPlugin(dialect, { config: { billing: { currency: 'EUR', timezone: 'Europe/Berlin' } } });
    customer = await overdueCustomer(plugin, 'cli', '2026-01-15');
    dir = mkdtempSync(join(tmpdir(), 'octet-dunning-'));
    configFile = join(dir, 'plugin.yaml');
    // Any day and hour is a suspension day here, so the outcome does not depend on when the test runs.
    writeFileSync(configFile, JSON.stringify({ db: { url: plugin.url }, billing: { timezone: 'Europe/Berlin', currency: 'EUR' }, dunning: { window: { weekdays: [1, 2, 3, 4, 5, 6, 7], fromHour: 0, toHour: 24 } }, log: { level: 'warn', format: 'json' } }));
  });
  after(async () => {
    await plugin?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('--dry-run prints who would be suspended and why, and changes nothing', async () => {
    const r = await runOctet(['dunning', '--dry-run', '--config', configFile]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.contain(`account #${customer.accountId} Customer cli: would suspend, would remind ${customer.invoice.number} (overdue 99.25 EUR`);
    expect(r.stdout).to.match(new RegExp(`- overdue \\d+ days \\(${customer.invoice.number}\\): suspend`));
    expect((await plugin.services.enforcement.stateOf([customer.serviceId])).size).to.equal(0);
  });

  it('without --dry-run suspends, and a second run has nothing left to do', async () => {
    const r = await runOctet(['dunning', '--config', configFile]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout, r.stdout).to.contain('suspended 1, restored 0; reminders sent 0, due but not sent 1');
    expect((await plugin.services.enforcement.stateOf([customer.serviceId])).get(customer.serviceId)?.desired).to.equal('suspended');
    const again = await runOctet(['dunning', '--config', configFile]);
    expect(again.stdout).to.contain('nobody to remind, suspend or restore');
  });

  it('only previews where the host platform blocks overdue customers (Splynx, dunning: splynx): a real run exits 2 and suspends nobody', async () => {
    const hosted = join(dir, 'hosted.yaml');
    const host = { kind: 'splynx', splynx: { url: 'http://127.0.0.1:9/', apiKey: 'key', apiSecret: 'secret', dunning: 'splynx' } };
    writeFileSync(hosted, JSON.stringify({ db: { url: plugin.url }, billing: { timezone: 'Europe/Berlin', currency: 'EUR' }, host, log: { level: 'warn', format: 'json' } }));
    const before = (await plugin.services.enforcement.stateOf([customer.serviceId])).get(customer.serviceId)?.version ?? 0;
    const r = await runOctet(['dunning', '--config', hosted]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('the host platform (splynx) blocks overdue customers');
    expect((await plugin.services.enforcement.stateOf([customer.serviceId])).get(customer.serviceId)?.version ?? 0).to.equal(before);
    const preview = await runOctet(['dunning', '--dry-run', '--config', hosted]);
    expect(preview.code, preview.stderr).to.equal(0);
  });

  it('refuses a bad dunning config with the field named (exit 2)', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, JSON.stringify({ db: { url: plugin.url }, dunning: { graceDays: 20, suspendAfterDays: 10, minimumOverdue: { EUR: '5,00' } } }));
    const r = await runOctet(['dunning', '--dry-run', '--config', bad]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.contain('dunning.suspendAfterDays').and.to.contain('dunning.minimumOverdue.EUR');
  });
});
