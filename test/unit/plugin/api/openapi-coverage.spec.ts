import { expect } from 'chai';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { OPENAPI_FILE } from '../../../support/openapi.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

function specFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? specFiles(p) : p.endsWith('.ts') ? [p] : [];
  });
}

/**
 * The requests to /api/v1 that specs make and check against the OpenAPI document: in a spec file
 * that calls `expectValidResponse`, every `.get('/api/v1/…')` or `call('get', '/api/v1/…')`
 * (template parts such as `${id}` stand for one path segment).
 */
export function checkedOperations(files: Array<{ name: string; source: string }>, paths: string[]): Map<string, string[]> {
  const templates = paths.map((t) => ({ t, re: new RegExp('^' + t.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\\{[^}]+\\\}|\{[^}]+\}/g, '[^/]+') + '$') }));
  const request = /(?:\.(get|post|put|patch|delete)\(|['"](get|post|put|patch|delete)['"]\s*,)\s*['`](\/api\/v1[^'`?]*)/g;
  const out = new Map<string, string[]>();
  for (const f of files) {
    if (!f.source.includes('expectValidResponse')) continue;
    for (const m of f.source.matchAll(request)) {
      const path = m[3]!.replace(/\$\{[^}]*\}/g, 'X').slice('/api/v1'.length) || '/';
      const hit = templates.find((x) => x.t === path) ?? templates.find((x) => x.re.test(path));
      if (!hit) continue;
      const key = `${(m[1] ?? m[2])!.toUpperCase()} ${hit.t}`;
      out.set(key, [...(out.get(key) ?? []), f.name]);
    }
  }
  return out;
}

describe('the OpenAPI document and its tests', () => {
  const doc = parse(readFileSync(OPENAPI_FILE, 'utf8')) as { paths: Record<string, Record<string, unknown>> };
  const operations = Object.entries(doc.paths).flatMap(([path, item]) => METHODS.filter((m) => m in item).map((m) => `${m.toUpperCase()} ${path}`));
  const files = specFiles(join(ROOT, 'test')).map((p) => ({ name: relative(ROOT, p), source: readFileSync(p, 'utf8') }));

  it('finds the requests of a spec that checks its responses, with template parts as path segments', () => {
    const found = checkedOperations(
      [
        { name: 'a.spec.ts', source: "expectValidResponse(await call('get', `/api/v1/accounts/${id}/usage?from=x`, t)); await api.post('/api/v1/accounts').send({})" },
        { name: 'b.spec.ts', source: "await api.delete('/api/v1/accounts/1') // checks nothing" },
      ],
      ['/accounts', '/accounts/{id}', '/accounts/{id}/usage'],
    );
    expect([...found.keys()].sort()).to.deep.equal(['GET /accounts/{id}/usage', 'POST /accounts']);
  });

  it('has, for every path and method of plugin/api/openapi.yaml, a spec that calls it and checks the answer against the document', () => {
    expect(operations.length).to.be.greaterThan(40);
    const checked = checkedOperations(files, Object.keys(doc.paths));
    const untested = operations.filter((op) => !checked.has(op));
    expect(untested, `operations no spec exercises with expectValidResponse:\n  ${untested.join('\n  ')}\n`).to.deep.equal([]);
  });

  it('documents every operation with an operationId, a 401 for a missing token, and a success answer', () => {
    const problems: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const m of METHODS) {
        const op = item[m] as { operationId?: string; responses?: Record<string, unknown> } | undefined;
        if (!op) continue;
        const codes = Object.keys(op.responses ?? {});
        if (!op.operationId) problems.push(`${m.toUpperCase()} ${path}: no operationId`);
        if (!codes.includes('401')) problems.push(`${m.toUpperCase()} ${path}: no 401`);
        if (!codes.some((c) => /^2/.test(c))) problems.push(`${m.toUpperCase()} ${path}: no 2xx`);
      }
    }
    expect(problems).to.deep.equal([]);
  });
});
