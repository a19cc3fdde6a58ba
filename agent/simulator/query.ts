import { parseBool } from './format.js';

type Row = Record<string, string>;

/**
 * RouterOS print queries (API7): a stack that starts as an endless supply of `true`; each query
 * word pushes a result or combines the top values; the item matches unless a `false` is left.
 * Both `?name=x` and `?=name=x` are accepted (librouteros sends the second form).
 */
export type QueryStep = (row: Row, stack: boolean[]) => void;

export class QuerySyntaxError extends Error {}

export function compileQuery(words: readonly string[]): (row: Row) => boolean {
  if (words.length === 0) return () => true;
  const steps = words.map(compileWord);
  return (row) => {
    const stack: boolean[] = [];
    for (const step of steps) step(row, stack);
    return !stack.includes(false);
  };
}

/** Pops from the stack; below its bottom lie endless `true`s. */
function pop(stack: boolean[]): boolean {
  return stack.length > 0 ? stack.pop()! : true;
}

function compileWord(word: string): QueryStep {
  const body = word.slice(1); // without '?'
  if (body.startsWith('#')) return compileOps(body.slice(1));
  if (body.startsWith('-')) {
    const name = body.slice(1);
    return (row, stack) => void stack.push(!(name in row));
  }
  if (body.startsWith('<') || body.startsWith('>')) {
    const less = body[0] === '<';
    const [name, value] = splitNameValue(body.slice(1));
    return (row, stack) => {
      const have = row[name];
      stack.push(have !== undefined && (less ? compare(have, value) < 0 : compare(have, value) > 0));
    };
  }
  const text = body.startsWith('=') ? body.slice(1) : body;
  if (!text.includes('=')) return (row, stack) => void stack.push(text in row);
  const [name, value] = splitNameValue(text);
  return (row, stack) => void stack.push(equalValues(row[name], value));
}

function splitNameValue(text: string): [string, string] {
  const eq = text.indexOf('=');
  if (eq < 0) return [text, ''];
  return [text.slice(0, eq), text.slice(eq + 1)];
}

function equalValues(have: string | undefined, want: string): boolean {
  if (have === undefined) return want === '';
  if (have === want) return true;
  // Booleans print as true/false but clients query with yes/no (reference §8: likely, UNCERTAIN).
  const a = parseBool(have);
  const b = parseBool(want);
  return a !== null && a === b;
}

function compare(a: string, b: string): number {
  if (/^-?\d+$/.test(a) && /^-?\d+$/.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

function compileOps(ops: string): QueryStep {
  if (!/^[0-9!&|.]*$/.test(ops)) throw new QuerySyntaxError(`bad query operation ${ops}`);
  return (_row, stack) => {
    let i = 0;
    while (i < ops.length) {
      const c = ops[i]!;
      if (c >= '0' && c <= '9') {
        let j = i;
        while (j < ops.length && ops[j]! >= '0' && ops[j]! <= '9') j++;
        const index = Number(ops.slice(i, j));
        const value = index < stack.length ? stack[stack.length - 1 - index]! : true;
        if (j === ops.length) {
          stack.length = 0;
          stack.push(value);
        } else {
          stack.push(value);
          if (ops[j] === '.') j++; // `.` right after an index only ends the index
        }
        i = j;
        continue;
      }
      if (c === '!') stack.push(!pop(stack));
      else if (c === '&') {
        const a = pop(stack);
        const b = pop(stack);
        stack.push(a && b);
      } else if (c === '|') {
        const a = pop(stack);
        const b = pop(stack);
        stack.push(a || b);
      } else if (c === '.') stack.push(stack.length > 0 ? stack[stack.length - 1]! : true);
      i++;
    }
  };
}
