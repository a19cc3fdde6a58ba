import { expect } from 'chai';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { AppliedStateFile } from '../../../../agent/enforcer/state-file.js';
import { nullLogger } from '../../../../plugin/common/logger.js';

describe('the enforcer state file', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(path.join(os.tmpdir(), 'octet-enforcer-state-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps the last applied version per service across a restart', async () => {
    const file = new AppliedStateFile(dir, nullLogger);
    expect((await file.load()).size).to.equal(0);
    await file.save(new Map([[7, { version: 3, state: 'suspended', rate: null, device: 'bras1' }]]));
    expect(await new AppliedStateFile(dir, nullLogger).load()).to.deep.equal(new Map([[7, { version: 3, state: 'suspended', rate: null, device: 'bras1' }]]));
    expect(readdirSync(dir)).to.deep.equal(['enforcement.json']);
  });

  it('an unreadable file is moved aside, not lost, and the agent starts from nothing (everything is reconciled)', async () => {
    writeFileSync(path.join(dir, 'enforcement.json'), '{"version":1,"applied":');
    const file = new AppliedStateFile(dir, nullLogger);
    expect((await file.load()).size).to.equal(0);
    expect(readdirSync(dir).filter((f) => f.startsWith('enforcement.json.corrupt-'))).to.have.length(1);
  });
});
