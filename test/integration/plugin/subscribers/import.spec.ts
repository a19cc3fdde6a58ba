import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { buildSubscribers } from '../../../../plugin/subscribers/index.js';
import type { AccountImportService } from '../../../../plugin/subscribers/import/import.service.js';
import { forEachDatabase } from '../../../support/databases.js';
import { createTestPlugin, type TestPlugin } from '../../../support/plugin.js';

const SAMPLE = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'config', 'accounts.sample.csv');
const HEADER = 'external_id,name,email,login,tariff,nas_name,start_date';

function csv(...lines: string[]): Buffer {
  return Buffer.from(lines.join('\n') + '\n', 'utf8');
}

forEachDatabase('accounts CSV import', (dialect) => {
  let plugin: TestPlugin;
  let importer: AccountImportService;

  /** Everything an import can change, as comparable text. */
  async function snapshot(): Promise<string> {
    const accounts = await plugin.ctx.models.Account.findAll({ order: [['id', 'ASC']], raw: true });
    const services = await plugin.ctx.models.Service.findAll({ order: [['id', 'ASC']], raw: true });
    const audit = await plugin.ctx.models.AuditEntry.count();
    return JSON.stringify({ accounts, services, audit });
  }

  const run = (bytes: Buffer, dryRun = false) => importer.run(bytes, { dryRun, actor: 'user:7', source: 'test.csv' });

  beforeEach(async () => {
    plugin = await createTestPlugin(dialect, { config: { billing: { currency: 'EUR', timezone: 'UTC' } } });
    importer = buildSubscribers(plugin.ctx).importer;
  });
  afterEach(async () => plugin?.close());

  it('imports the sample file: accounts, their services, and an audit entry for each by the importing user', async () => {
    const report = await run(readFileSync(SAMPLE));
    expect(report.errors).to.deep.equal([]);
    expect(report.applied).to.equal(true);
    expect(report.counts).to.include({ accountsCreated: 3, servicesCreated: 3 });
    const mueller = await plugin.ctx.models.Account.findOne({ where: { externalId: 'C-1002' }, raw: true });
    expect(mueller).to.include({ name: 'Müller & Söhne GmbH', addressLine2: 'Hinterhaus, 2. OG', country: 'DE', currency: 'EUR' });
    const services = (await plugin.ctx.models.Service.findAll({ order: [['login', 'ASC']], raw: true })) as unknown as Array<{ login: string; nasName: string }>;
    const logins = services.map((s) => `${s.login}@${s.nasName}`);
    expect(logins).to.deep.equal(['ada@pppoe@bras-north', 'mueller-lager@bras-south', 'mueller-office@bras-north']);
    const audit = await plugin.ctx.repos.audit.list({ limit: 50 });
    expect(audit.filter((a) => a.action === 'account.create')).to.have.length(3);
    expect(audit.filter((a) => a.action === 'service.create')).to.have.length(3);
    expect(new Set(audit.map((a) => a.actor))).to.deep.equal(new Set(['user:7']));
  });

  it('changes nothing when the same file is imported again', async () => {
    await run(readFileSync(SAMPLE));
    const before = await snapshot();
    const report = await run(readFileSync(SAMPLE));
    expect(report.counts).to.deep.equal({ accountsCreated: 0, accountsUpdated: 0, accountsUnchanged: 3, servicesCreated: 0, servicesUpdated: 0, servicesUnchanged: 3 });
    expect(report.changes).to.deep.equal([]);
    // Only the import's own summary entry is added to the audit log.
    const after = JSON.parse(await snapshot()) as { audit: number };
    expect({ ...after, audit: after.audit - 1 }).to.deep.equal(JSON.parse(before));
  });

  it('reports in a dry run what a changed file would do, writes nothing, then applies exactly that', async () => {
    await run(csv(HEADER, 'A-1,Alice,alice@old.example,alice,home,bras-1,2026-01-01'));
    const before = await snapshot();
    const changed = csv(HEADER, 'A-1,Alice,alice@new.example,alice,biz,bras-1,2026-01-01', 'A-2,Bob,,bob,,,');
    const dry = await run(changed, true);
    expect(dry.applied).to.equal(false);
    expect(dry.changes).to.deep.equal([
      { line: 2, what: 'update account', externalId: 'A-1', detail: 'email: alice@old.example -> alice@new.example' },
      { line: 2, what: 'update service', externalId: 'A-1', login: 'alice', detail: 'tariff: home -> biz' },
      { line: 3, what: 'create account', externalId: 'A-2', detail: 'Bob' },
      { line: 3, what: 'create service', externalId: 'A-2', login: 'bob', detail: 'from 2026-03-01' },
    ]);
    expect(await snapshot()).to.equal(before);
    const real = await run(changed);
    expect(real.changes).to.deep.equal(dry.changes);
    expect(await plugin.ctx.models.Account.findOne({ where: { externalId: 'A-1' }, raw: true })).to.include({ email: 'alice@new.example' });
  });

  it('reads UTF-8 with a byte-order mark and semicolons the same as plain comma files', async () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('external_id;name;city\r\nS-1;"Smith; Jones";Köln\r\n', 'utf8')]);
    const report = await run(bom);
    expect(report.errors).to.deep.equal([]);
    expect(report.delimiter).to.equal(';');
    expect(await plugin.ctx.models.Account.findOne({ where: { externalId: 'S-1' }, raw: true })).to.include({ name: 'Smith; Jones', city: 'Köln' });
  });

  it('refuses a file with a duplicate login, naming both lines, and writes nothing at all', async () => {
    const before = await snapshot();
    const report = await run(csv(HEADER, 'D-1,Dee,,dee,,,', 'D-2,Dum,,dum,,,', 'D-3,Dup,,dee,,,'));
    expect(report.applied).to.equal(false);
    expect(report.errors).to.deep.equal([{ line: 4, column: 'login', message: '"dee" is on line 2 too: a login belongs to one service' }]);
    expect(await snapshot()).to.equal(before);
  });

  it('refuses a login that a live service of another account already has', async () => {
    await run(csv(HEADER, 'E-1,Owner,,taken,,,'));
    const owner = (await plugin.ctx.models.Account.findOne({ where: { externalId: 'E-1' }, raw: true })) as unknown as { id: number };
    const report = await run(csv(HEADER, 'E-2,Intruder,,taken,,,'));
    expect(report.errors).to.deep.equal([{ line: 2, column: 'login', message: `"taken" is already used by a live service of another account (#${owner.id})` }]);
    expect(await plugin.ctx.models.Account.count()).to.equal(1);
  });

  it('names a missing column on line 1 and writes nothing', async () => {
    const report = await run(csv('external_id,email', 'M-1,m@example.net'));
    expect(report.errors).to.have.length(1);
    expect(report.errors[0]!.line).to.equal(1);
    expect(report.errors[0]!.message).to.contain('missing column "name"');
    expect(await plugin.ctx.models.Account.count()).to.equal(0);
  });

  it('reports a bad date with its line and column, with every other bad row, and writes none of the good ones', async () => {
    const report = await run(csv(HEADER, 'B-1,Good One,,good1,,,2026-01-01', 'B-2,Bad Date,,bad2,,,01/02/2026', 'B-3,Good Two,,good3,,,', 'B-4,,bad-mail,,,,'));
    expect(report.errors).to.deep.equal([
      { line: 3, column: 'start_date', message: 'must be a date written YYYY-MM-DD, not "01/02/2026"' },
      { line: 5, column: 'name', message: 'is required' },
      { line: 5, column: 'email', message: 'is not an e-mail address (name@example.net)' },
    ]);
    expect(await plugin.ctx.models.Account.count()).to.equal(0);
    expect(await plugin.ctx.models.Service.count()).to.equal(0);
  });

  it('refuses a file that is not UTF-8, naming the line and the byte', async () => {
    const latin1 = Buffer.concat([Buffer.from('external_id,name\nL-1,Ok\nL-2,M', 'latin1'), Buffer.from([0xfc]), Buffer.from('ller\n', 'latin1')]);
    const report = await run(latin1);
    expect(report.errors).to.have.length(1);
    expect(report.errors[0]!.line).to.equal(3);
    expect(report.errors[0]!.message).to.contain('not UTF-8: byte 30 of the file (0xfc, character 6 of the line)');
    expect(await plugin.ctx.models.Account.count()).to.equal(0);
  });

  it('reports a line with the wrong number of fields', async () => {
    const report = await run(csv('external_id,name,city', 'W-1,Wrong,Town,extra', 'W-2,Right,Town'));
    expect(report.errors).to.deep.equal([{ line: 2, message: 'has 4 fields but the header has 3 (is a "," inside a value missing its quotes?)' }]);
    expect(await plugin.ctx.models.Account.count()).to.equal(0);
  });

  it('counts lines of the file, not records, when a quoted value spans lines', async () => {
    const report = await run(csv('external_id,name,address_line1', 'Q-1,"Multi', 'Line",Street 1', 'Q-2,,Street 2'));
    expect(report.errors).to.deep.equal([{ line: 4, column: 'name', message: 'is required' }]);
  });

  it('clears an optional field given an empty cell but keeps currency and status when theirs are empty', async () => {
    await run(csv('external_id,name,phone,currency,status', 'K-1,Keeper,+1 555,USD,suspended'));
    const report = await run(csv('external_id,name,phone,currency,status', 'K-1,Keeper,,,'));
    expect(report.changes).to.deep.equal([{ line: 2, what: 'update account', externalId: 'K-1', detail: 'phone: +1 555 -> (empty)' }]);
    expect(await plugin.ctx.models.Account.findOne({ where: { externalId: 'K-1' }, raw: true })).to.include({ phone: null, currency: 'USD', status: 'suspended' });
  });

  it('refuses rows of one account that disagree on its details', async () => {
    const report = await run(csv('external_id,name,email,login', 'G-1,Gina,g@x.example,g1', 'G-1,Gina,other@x.example,g2'));
    expect(report.errors).to.deep.equal([{ line: 3, column: 'email', message: 'external id G-1 is on line 2 too, with different email' }]);
  });
});
