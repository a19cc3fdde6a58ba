import { expect } from 'chai';
import { importsOf } from './import-graph.js';

describe('the import parser the import rules rely on', () => {
  it('sees static, type-only, re-exported, side-effect, dynamic and type-position imports, resolved to repository paths', () => {
    const text = [
      "import { a } from '../usage/index.js';",
      "import type { B } from '../ingest/agents.repository.js';",
      "export { c } from './local.js';",
      "import 'sequelize';",
      "const m = await import('../../agent/main.js');",
      "let x: import('express').Request;",
      "import fs from 'node:fs';",
    ].join('\n');
    const edges = importsOf('plugin/subscribers/example.ts', text).map((e) => [e.kind, e.target ?? e.pkg, e.line]);
    expect(edges).to.deep.equal([
      ['static', 'plugin/usage/index.ts', 1],
      ['type', 'plugin/ingest/agents.repository.ts', 2],
      ['static', 'plugin/subscribers/local.ts', 3],
      ['static', 'sequelize', 4],
      ['dynamic', 'agent/main.ts', 5],
      ['type', 'express', 6],
      ['static', 'node:fs', 7],
    ]);
  });

  it('ignores import-like text in strings and comments, and specifiers computed at run time', () => {
    const text = [
      "// import { a } from '../usage/usage.repository.js';",
      "const s = \"import x from '../../agent/main.js'\";",
      "/* export * from 'express'; */",
      'const mod = await import(pathToFileURL(file).href);',
    ].join('\n');
    expect(importsOf('plugin/db/example.ts', text)).to.deep.equal([]);
  });
});
