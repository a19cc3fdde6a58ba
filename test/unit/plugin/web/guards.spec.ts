import { expect } from 'chai';
import { importsOf, sourceFiles } from '../../architecture/import-graph.js';

describe('admin shell route guards', () => {
  it('are imported from web/guards.ts: only createOctetPlugin (plugin/mount.ts, which octet serve mounts) imports the app file (no import cycle)', () => {
    const importers = sourceFiles(['plugin'])
      .flatMap((f) => importsOf(f))
      .filter((e) => e.target === 'plugin/web/app.ts' && e.kind !== 'type')
      .map((e) => e.from);
    expect([...new Set(importers)].sort()).to.deep.equal(['plugin/mount.ts']);
  });
});
