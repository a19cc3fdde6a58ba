import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { importsOf, ROOT, sourceFiles, type ImportEdge } from './import-graph.js';

/**
 * The import rules of DESIGN.md ("Import rules, enforced by a unit test"), checked on every .ts
 * file of agent/ and plugin/ (static, type-only and dynamic imports alike). Each rule fails with
 * the list of offending imports, one per line, `file:line -> specifier`.
 */

/** Folders of plugin/ that are shared infrastructure, not modules with a port. */
const INFRASTRUCTURE = new Set(['common', 'db', 'web', 'api', 'cli']);

/**
 * A module's public files: its port (index.ts), and its config section (config.ts), which
 * plugin/config.ts reads to validate the file before any module is built.
 */
const PUBLIC_FILES = new Set(['index.ts', 'config.ts']);

/**
 * Domain files, recognised by an explicit list (the codebase has no naming rule that separates
 * pure rules from edges: `queries.ts` is a repository, `assign.ts` runs SQL): the pure rules as
 * DESIGN.md's domain layer names them. A new pure rule file joins this list. Each entry must exist,
 * so that a rename cannot drop a file from the check silently. The check is transitive: a domain
 * file may import only project files that themselves reach none of the forbidden packages.
 */
const DOMAIN_FILES = [
  'plugin/enforcement/state.ts',
  'plugin/enforcement/aaa.ts',
  'plugin/enforcement/fair-use.ts',
  'plugin/usage/counters.ts',
  'plugin/usage/hour-split.ts',
  'plugin/usage/hourly-rows.ts',
  'plugin/usage/local-time.ts',
  'plugin/usage/service-match.ts',
  'plugin/usage/session-usage.ts',
  'plugin/usage/source-choice.ts',
  'plugin/usage/completeness.ts',
  'plugin/usage/bands.ts',
  'plugin/usage/day-windows.ts',
  'plugin/subscribers/validation.ts',
  'plugin/subscribers/changes.ts',
  'plugin/subscribers/cursor.ts',
  'plugin/subscribers/import/csv.ts',
  'plugin/subscribers/import/plan.ts',
  'plugin/subscribers/tariff-history.ts',
  'plugin/subscribers/account-tax.ts',
  'plugin/ingest/validate.ts',
  'plugin/auth/roles.ts',
  'plugin/auth/login-throttle.ts',
  'plugin/invoicing/document/invoice-view.ts',
  'plugin/invoicing/document/number-format.ts',
  'plugin/invoicing/invoice.ts',
  'plugin/invoicing/snapshot.ts',
  'plugin/invoicing/reports/aggregate.ts',
  'plugin/invoicing/reports/balance.ts',
  'plugin/invoicing/reports/chart.ts',
  'plugin/invoicing/reports/csv.ts',
  'plugin/invoicing/reports/range.ts',
  'plugin/invoicing/delivery/backoff.ts',
  'plugin/invoicing/delivery/csv.ts',
  'plugin/invoicing/delivery/export-rows.ts',
  'plugin/invoicing/delivery/logo.ts',
  'plugin/invoicing/delivery/render-input.ts',
  'plugin/payments/allocation.ts',
  'plugin/payments/amount.ts',
  'plugin/payments/outstanding.ts',
  'plugin/payments/statement.ts',
  'plugin/payments/statements/amounts.ts',
  'plugin/payments/statements/camt053.ts',
  'plugin/payments/statements/csv-statement.ts',
  'plugin/payments/statements/matching.ts',
  'plugin/payments/gateways/signature.ts',
  'plugin/payments/gateways/events.ts',
  'plugin/dunning/policy.ts',
  'plugin/dunning/aging.ts',
  'plugin/dunning/web/csv.ts',
  'plugin/common/bytes.ts',
  'plugin/common/money.ts',
  'plugin/rating/index.ts',
  'plugin/rating/charge-models.ts',
  'plugin/rating/periods.ts',
  'plugin/rating/proration.ts',
  'plugin/rating/rate-scenario.ts',
  'plugin/rating/rating-view.ts',
  'plugin/rating/scenario.ts',
  'plugin/rating/tariff.ts',
  'plugin/rating/tax.ts',
  'plugin/rating/time-bands.ts',
  'plugin/rating/units.ts',
  'plugin/tariffs/version-at.ts',
  'plugin/tariffs/definition.ts',
  'plugin/tariffs/charges.ts',
  'plugin/tariffs/form.ts',
  'plugin/common/wire.ts',
  'plugin/common/redact.ts',
  'agent/poller/decide.ts',
  'agent/radius/attributes.ts',
  'agent/radius/frame.ts',
  'agent/radius/open-sessions.ts',
  'agent/routeros/codec.ts',
  'agent/spool/record-format.ts',
  'agent/shipper/backoff.ts',
  'agent/routeros/backoff.ts',
  'plugin/cli/demo/demo-history.ts',
];

const FORBIDDEN_IN_DOMAIN = ['sequelize', 'express', 'node:fs', 'node:fs/promises', 'node:net', 'fs', 'net', 'fs/promises'];

/**
 * Known violations, each with the file, the import and why it is still there. An entry that no
 * longer matches a violation fails the test, so the list only shrinks.
 */
const ALLOWED: Array<{ rule: string; from: string; to: string; why: string }> = [];

const files = sourceFiles(['agent', 'plugin']);
const edges: ImportEdge[] = files.flatMap((f) => importsOf(f));
const byFile = new Map<string, ImportEdge[]>();
for (const e of edges) byFile.set(e.from, [...(byFile.get(e.from) ?? []), e]);

const moduleOf = (path: string): string | null => {
  const m = /^plugin\/([^/]+)\//.exec(path);
  return m && !INFRASTRUCTURE.has(m[1]!) ? m[1]! : null;
};
const under = (path: string | null, folder: string): boolean => path !== null && path.startsWith(`${folder}/`);
const isProject = (e: ImportEdge): e is ImportEdge & { target: string } => e.target !== null;

const used = new Set<(typeof ALLOWED)[number]>();
function report(rule: string, violations: ImportEdge[]): string[] {
  return violations
    .filter((v) => {
      const entry = ALLOWED.find((a) => a.rule === rule && a.from === v.from && (a.to === v.target || a.to === v.pkg));
      if (entry) used.add(entry);
      return !entry;
    })
    .map((v) => `${v.from}:${v.line} -> ${v.specifier}${v.kind === 'type' ? ' (type)' : v.kind === 'dynamic' ? ' (dynamic)' : ''}`);
}

function expectNone(rule: string, violations: ImportEdge[], what: string): void {
  const list = report(rule, violations);
  expect(list, `${what}:\n  ${list.join('\n  ')}\n`).to.deep.equal([]);
}

describe('import rules (DESIGN.md)', () => {
  it('finds the imports it checks: every source file parsed, relative imports resolved to files that exist', () => {
    expect(files.length).to.be.greaterThan(100);
    const unresolved = edges.filter(isProject).filter((e) => !existsSync(join(ROOT, e.target)) && !existsSync(join(ROOT, e.target.replace(/\.ts$/, ''))));
    expect(unresolved.map((e) => `${e.from}:${e.line} -> ${e.specifier}`)).to.deep.equal([]);
  });

  it('lets the agent use only plugin/common/ of the plugin', () => {
    expectNone(
      'agent-uses-common-only',
      edges.filter(isProject).filter((e) => under(e.from, 'agent') && !under(e.target, 'agent') && !under(e.target, 'plugin/common')),
      'agent/ imports these files outside agent/ and plugin/common/',
    );
  });

  it('keeps the agent out of the plugin: only plugin/cli/ may load agent/', () => {
    expectNone(
      'plugin-never-imports-agent',
      edges.filter(isProject).filter((e) => under(e.from, 'plugin') && !under(e.from, 'plugin/cli') && under(e.target, 'agent')),
      'plugin/ outside plugin/cli/ imports agent/',
    );
  });

  it('keeps plugin/common/ a leaf: it imports nothing of the project outside itself', () => {
    expectNone(
      'common-is-a-leaf',
      edges.filter(isProject).filter((e) => under(e.from, 'plugin/common') && !under(e.target, 'plugin/common')),
      'plugin/common/ imports project files outside plugin/common/',
    );
  });

  it('lets a module reach another module only through its index (its port)', () => {
    expectNone(
      'modules-through-their-index',
      edges.filter(isProject).filter((e) => {
        const target = moduleOf(e.target);
        if (target === null || moduleOf(e.from) === target) return false;
        return !(e.target.split('/').length === 3 && PUBLIC_FILES.has(e.target.split('/')[2]!));
      }),
      "these imports reach into another module's files instead of its index.ts",
    );
  });

  it('keeps domain files free of the database, HTTP, the file system and sockets, also through what they import', () => {
    const missing = DOMAIN_FILES.filter((f) => !files.includes(f));
    expect(missing, 'DOMAIN_FILES names files that do not exist (renamed? update the list)').to.deep.equal([]);
    const reaches = new Map<string, ImportEdge | null>();
    // The first forbidden import reachable from a file (depth first, cycles cut), or null.
    const forbiddenFrom = (file: string, seen: Set<string>): ImportEdge | null => {
      if (reaches.has(file)) return reaches.get(file)!;
      if (seen.has(file)) return null;
      seen.add(file);
      let found: ImportEdge | null = null;
      for (const e of byFile.get(file) ?? []) {
        if (e.pkg && FORBIDDEN_IN_DOMAIN.includes(e.pkg)) found = e;
        // Type-only imports are erased at run time; a forbidden package named in one is still caught above.
        else if (e.kind !== 'type' && e.target && files.includes(e.target)) found = forbiddenFrom(e.target, seen) ? e : null;
        if (found) break;
      }
      reaches.set(file, found);
      return found;
    };
    expectNone(
      'domain-is-pure',
      DOMAIN_FILES.map((f) => forbiddenFrom(f, new Set())).filter((e): e is ImportEdge => e !== null),
      'domain files import (directly or through these imports) sequelize, express, node:fs or node:net',
    );
  });

  after(() => {
    const stale = ALLOWED.filter((a) => !used.has(a));
    if (stale.length) throw new Error(`allow-list entries that match no violation any more (remove them):\n  ${stale.map((a) => `${a.rule}: ${a.from} -> ${a.to}`).join('\n  ')}`);
  });
});
