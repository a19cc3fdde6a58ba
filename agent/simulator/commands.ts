import { formatId } from './format.js';
import { directories, itemExists, menus, Trap, type Menu, type Row } from './menus.js';
import { SimulatorError, type RouterModel } from './model.js';
import { compileQuery, QuerySyntaxError } from './query.js';

/** A parsed API sentence (reference §1): command, `=k=v` attributes, `?` queries, `.tag`. */
export interface Request {
  command: string;
  attrs: Map<string, string>;
  queries: string[];
  tag: string | undefined;
}

export function parseRequest(words: readonly string[]): Request {
  const attrs = new Map<string, string>();
  const queries: string[] = [];
  let tag: string | undefined;
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (w.startsWith('=')) {
      const eq = w.indexOf('=', 1);
      // `=name` without a second `=` is a flag with an empty value (e.g. `=count-only=`).
      if (eq < 0) attrs.set(w.slice(1), '');
      else attrs.set(w.slice(1, eq), w.slice(eq + 1));
    } else if (w.startsWith('?')) {
      queries.push(w);
    } else if (w.startsWith('.tag=')) {
      // An empty tag counts as none (API7).
      tag = w.length > 5 ? w.slice(5) : undefined;
    }
    // Other API attributes (`.foo=`) are not defined; RouterOS ignores them, so do we.
  }
  return { command: words[0]!, attrs, queries, tag };
}

export type Outcome = { kind: 'reply'; sentences: string[][] } | { kind: 'hold' };

/** Print arguments that are flags or options of print itself, not item fields. */
const PRINT_ARGS = new Set(['.proplist', 'count-only', 'detail', 'stats', 'without-paging', 'terse', 'brief', 'from', 'interval']);

/**
 * Runs one logged-in menu command against the model. Traps come back as `!trap` + `!done`,
 * as RouterOS sends them (reference §2).
 */
export function execute(model: RouterModel, req: Request): Outcome {
  try {
    return run(model, req);
  } catch (err) {
    if (err instanceof Trap) return trap([{ message: err.message, category: err.category }]);
    if (err instanceof SimulatorError) return trap([{ message: err.message }]);
    if (err instanceof QuerySyntaxError) return trap([{ message: err.message, category: 5 }]);
    throw err;
  }
}

function trap(traps: Array<{ message: string; category?: number | undefined }>): Outcome {
  return {
    kind: 'reply',
    sentences: [
      ...traps.map((t) => (t.category === undefined ? ['!trap', `=message=${t.message}`] : ['!trap', `=category=${t.category}`, `=message=${t.message}`])),
      ['!done'],
    ],
  };
}

function run(model: RouterModel, req: Request): Outcome {
  const slash = req.command.lastIndexOf('/');
  const path = req.command.slice(0, slash);
  const verb = req.command.slice(slash + 1);
  const menu = menus[path];
  if (!menu) return unknownPath(path, verb);
  switch (verb) {
    case 'print':
    case 'getall':
      return print(model, menu, req);
    case 'listen':
      // A running command; it ends only with /cancel (reference §1). Changes are not streamed.
      return { kind: 'hold' };
    case 'add': {
      if (!menu.add) break;
      checkFields(menu, req.attrs, false);
      const id = menu.add(model, req.attrs);
      return { kind: 'reply', sentences: [['!done', `=ret=${formatId(id)}`]] };
    }
    case 'set': {
      if (menu.setSingle && !req.attrs.has('.id')) {
        checkFields(menu, req.attrs, false);
        menu.setSingle(model, req.attrs);
        return done();
      }
      if (!menu.set) break;
      checkFields(menu, req.attrs, true);
      for (const id of resolveIds(model, path, menu, req.attrs)) menu.set(model, id, req.attrs);
      return done();
    }
    case 'remove': {
      if (!menu.remove) break;
      checkOnlyId(req.attrs);
      // Resolve all first: one unknown id fails the whole command, nothing is removed.
      for (const id of resolveIds(model, path, menu, req.attrs)) menu.remove(model, id);
      return done();
    }
    case 'enable':
    case 'disable': {
      if (!menu.set || !menu.fields?.['disabled']) break;
      checkOnlyId(req.attrs);
      const attrs = new Map([['disabled', verb === 'disable' ? 'yes' : 'no']]);
      for (const id of resolveIds(model, path, menu, req.attrs)) menu.set(model, id, attrs);
      return done();
    }
  }
  // A valid menu with a verb it does not have (reference §6; category 0 is our choice: UNCERTAIN).
  throw new Trap('no such command', 0);
}

function done(): Outcome {
  return { kind: 'reply', sentences: [['!done']] };
}

/**
 * Unknown menu level: RouterOS sends two traps, naming the missing directory, then
 * `no such command prefix` (home-assistant/core #68115 via librouteros). The categories are not
 * in any capture: UNCERTAIN, we send 0 ("missing item or command").
 */
function unknownPath(path: string, verb: string): Outcome {
  const segments = path.split('/').filter(Boolean);
  let known = '';
  let missing = verb;
  for (const seg of segments) {
    const next = `${known}/${seg}`;
    if (!directories.has(next) && !menus[next]) {
      missing = seg;
      break;
    }
    known = next;
  }
  return trap([
    { message: `no such command or directory (${missing})`, category: 0 },
    { message: 'no such command prefix', category: 0 },
  ]);
}

function print(model: RouterModel, menu: Menu, req: Request): Outcome {
  for (const key of req.attrs.keys()) {
    if (!PRINT_ARGS.has(key)) throw new Trap('unknown parameter'); // UNCERTAIN: no category in traces
  }
  const match = compileQuery(req.queries);
  let rows = menu.rows(model);
  if (req.queries.length > 0) rows = rows.filter(match);
  if (req.attrs.has('count-only')) return { kind: 'reply', sentences: [['!done', `=ret=${rows.length}`]] };
  const proplist = req.attrs.get('.proplist')?.split(',').filter(Boolean);
  const sentences: string[][] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) sentences[i] = rowWords(rows[i]!, proplist);
  // 7.18+: a print that matched nothing says `!empty` before `!done` (reference §2). Whether add,
  // set, remove or single-item menus also send it is UNCERTAIN: we send it for print/getall only.
  if (rows.length === 0 && model.sendsEmpty) sentences.push(['!empty']);
  sentences.push(['!done']);
  return { kind: 'reply', sentences };
}

function rowWords(row: Row, proplist: string[] | undefined): string[] {
  const words = ['!re'];
  if (proplist) {
    // An item without a listed property simply leaves it out (API7).
    for (const k of proplist) {
      const v = row[k];
      if (v !== undefined) words.push(`=${k}=${v}`);
    }
  } else {
    for (const k in row) words.push(`=${k}=${row[k]!}`);
  }
  return words;
}

/** Unknown argument names are refused (reference §6: `unknown parameter`; category UNCERTAIN, none sent). */
function checkFields(menu: Menu, attrs: Map<string, string>, allowId: boolean): void {
  for (const key of attrs.keys()) {
    if (key === '.id' && allowId) continue;
    if (!menu.fields || !(key in menu.fields)) throw new Trap('unknown parameter');
  }
}

function checkOnlyId(attrs: Map<string, string>): void {
  for (const key of attrs.keys()) if (key !== '.id') throw new Trap('unknown parameter');
}

/**
 * `.id` may list several ids joined by commas (librouteros `remove`), and some menus accept an
 * item's name. Missing or unknown: `no such item` (tik4net #13 shows `no such item (4)` on old v6;
 * third-party v7 code expects the plain text, which we send on both: UNCERTAIN).
 */
function resolveIds(model: RouterModel, path: string, menu: Menu, attrs: Map<string, string>): number[] {
  const raw = attrs.get('.id');
  if (raw === undefined || raw === '') throw new Trap('no such item', 0);
  const ids: number[] = [];
  for (const part of raw.split(',')) {
    let id: number | null = null;
    if (/^\*[0-9A-Fa-f]+$/.test(part)) {
      id = parseInt(part.slice(1), 16);
      if (!itemExists(model, path, id)) id = null;
    } else if (menu.nameKey) {
      const row = menu.rows(model).find((r) => r[menu.nameKey!] === part);
      if (row) id = parseInt(row['.id']!.slice(1), 16);
    }
    if (id === null) throw new Trap('no such item', 0);
    ids.push(id);
  }
  return ids;
}
