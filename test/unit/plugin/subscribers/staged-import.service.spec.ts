import { expect } from 'chai';
import type { Transaction } from 'sequelize';
import type { ImportReport } from '../../../../plugin/subscribers/import/import.service.js';
import type { ImportUpload } from '../../../../plugin/subscribers/import/uploads.repository.js';
import { StagedImportService } from '../../../../plugin/subscribers/import/staged-import.service.js';

const report = (over: Partial<ImportReport> = {}): ImportReport => ({
  dryRun: false,
  applied: false,
  rows: 1,
  delimiter: ',',
  counts: { accountsCreated: 0, accountsUpdated: 0, accountsUnchanged: 0, servicesCreated: 0, servicesUpdated: 0, servicesUnchanged: 0 },
  changes: [],
  errors: [],
  ...over,
});

/** In-memory uploads and an importer whose "transaction" is a marker object. */
function fakes(outcome: { errors?: boolean; applies?: boolean } = {}) {
  const stored = new Map<string, ImportUpload>();
  const removedIn: Array<{ token: string; t: unknown }> = [];
  const tx = { marker: 'the import transaction' } as unknown as Transaction;
  const deps = {
    uploads: {
      save: async (userId: number, filename: string, content: Buffer) => {
        const token = `tok-${stored.size + 1}`;
        stored.set(token, { token, userId, filename, content });
        return token;
      },
      find: async (token: string, userId: number) => (stored.get(token)?.userId === userId ? stored.get(token)! : null),
      remove: async (token: string, t?: Transaction) => {
        removedIn.push({ token, t });
        stored.delete(token);
      },
    },
    importer: {
      run: async (_bytes: Uint8Array, opts: { dryRun: boolean; alsoInTransaction?: (t: Transaction) => Promise<void> }) => {
        if (outcome.errors) return report({ dryRun: opts.dryRun, errors: [{ line: 2, message: 'bad' }] });
        if (opts.dryRun || outcome.applies === false) return report({ dryRun: opts.dryRun });
        await opts.alsoInTransaction?.(tx);
        return report({ applied: true });
      },
    },
  };
  return { service: new StagedImportService(deps), stored, removedIn, tx };
}

const file = { userId: 7, actor: 'user:7', filename: 'subs.csv', content: Buffer.from('external_id,name\nA,B\n') };

describe('staged account import (preview, then confirm)', () => {
  it('keeps a previewed file without errors for its uploader only, and none with errors', async () => {
    const ok = fakes();
    const { token } = await ok.service.preview(file);
    expect(token).to.equal('tok-1');
    expect(await ok.service.confirm({ token: token!, userId: 8, actor: 'user:8' })).to.equal(null);
    const bad = fakes({ errors: true });
    expect((await bad.service.preview(file)).token).to.equal(null);
    expect(bad.stored.size).to.equal(0);
  });

  it('uses the upload up inside the transaction that writes the import', async () => {
    const f = fakes();
    const { token } = await f.service.preview(file);
    const done = await f.service.confirm({ token: token!, userId: 7, actor: 'user:7' });
    expect(done?.report.applied).to.equal(true);
    expect(done?.filename).to.equal('subs.csv');
    expect(f.removedIn).to.deep.equal([{ token: 'tok-1', t: f.tx }]);
    expect(await f.service.confirm({ token: token!, userId: 7, actor: 'user:7' })).to.equal(null);
  });

  it('keeps the upload when the import is refused (say a login was taken since the preview)', async () => {
    const f = fakes({ applies: false });
    const { token } = await f.service.preview(file);
    const done = await f.service.confirm({ token: token!, userId: 7, actor: 'user:7' });
    expect(done?.report.applied).to.equal(false);
    expect(f.removedIn).to.deep.equal([]);
    expect(f.stored.has(token!)).to.equal(true);
  });
});
