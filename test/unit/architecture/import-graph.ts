import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, posix, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** The repository root (this file lives in test/unit/architecture/). */
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** One import of one source file, as written and as resolved. */
export interface ImportEdge {
  /** Importing file, repository-relative with forward slashes (`plugin/usage/index.ts`). */
  from: string;
  /** The specifier as written (`../ingest/index.js`, `sequelize`, `node:fs`). */
  specifier: string;
  /** Repository-relative target for a relative specifier, null for a package or a builtin. */
  target: string | null;
  /** Package name for a bare specifier (`sequelize`, `node:fs`, `@types/x`), null otherwise. */
  pkg: string | null;
  kind: 'static' | 'dynamic' | 'type';
  line: number;
}

/** Every .ts file under the given repository folders (node_modules excluded). */
export function sourceFiles(folders: string[]): string[] {
  const out: string[] = [];
  const walk = (abs: string): void => {
    for (const name of readdirSync(abs)) {
      if (name === 'node_modules' || name.startsWith('.')) continue;
      const p = join(abs, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(relative(ROOT, p).split(sep).join('/'));
    }
  };
  for (const f of folders) walk(join(ROOT, f));
  return out.sort();
}

function packageOf(specifier: string): string {
  if (specifier.startsWith('node:')) return specifier;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** `../x/y.js` from `plugin/a/b.ts` -> `plugin/x/y.ts` (TypeScript's NodeNext spelling of .ts files). */
function resolveRelative(from: string, specifier: string): string {
  const joined = posix.normalize(posix.join(posix.dirname(from), specifier));
  return joined.replace(/\.js$/, '.ts');
}

/**
 * Parses one file's imports with the TypeScript parser, so that strings and comments that look
 * like imports are not counted: `import`/`export … from`, side-effect imports, `import x =
 * require()`, dynamic `import()`, and type positions `import('x').T`. Type-only imports count:
 * a type from another module's repository couples to it as much as a value does.
 */
export function importsOf(file: string, text: string = readFileSync(join(ROOT, file), 'utf8')): ImportEdge[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const edges: ImportEdge[] = [];
  const add = (node: ts.Node, specifier: string, kind: ImportEdge['kind']): void => {
    const relativeSpec = specifier.startsWith('.');
    edges.push({
      from: file,
      specifier,
      target: relativeSpec ? resolveRelative(file, specifier) : null,
      pkg: relativeSpec ? null : packageOf(specifier),
      kind,
      line: source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1,
    });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node, node.moduleSpecifier.text, node.importClause?.isTypeOnly ? 'type' : 'static');
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      add(node, node.moduleSpecifier.text, node.isTypeOnly ? 'type' : 'static');
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) {
      add(node, node.moduleReference.expression.text, 'static');
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const arg = node.arguments[0];
      // A computed specifier (the migrator loading migrations/ by path) names no fixed file.
      if (arg && ts.isStringLiteralLike(arg)) add(node, arg.text, 'dynamic');
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      add(node, node.argument.literal.text, 'type');
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return edges;
}
