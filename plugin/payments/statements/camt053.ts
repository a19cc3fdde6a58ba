import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ValidationError } from '../../common/errors.js';
import { exactMinor } from './amounts.js';
import type { ReadStatement, StatementLine } from './statement-line.js';

/**
 * ISO 20022 camt.053 (BankToCustomerStatement) reader, pure. Levels as the standard and the
 * Swiss/Austrian implementation guides name them: A GrpHdr, B Stmt (Id, Acct/Id/IBAN), C Ntry
 * (Amt@Ccy, CdtDbtInd, Sts, BookgDt, ValDt, AcctSvcrRef/NtryRef), D NtryDtls/TxDtls (Refs/
 * EndToEndId, RltdPties/Dbtr, RmtInf/Ustrd and Strd/CdtrRefInf/Ref).
 *
 * Versions differ where this reads: in .02 Sts is text and Dbtr holds Nm; from .08 Sts is
 * Sts/Cd and Dbtr is Dbtr/Pty/Nm. Both are read. Only booked (BOOK) credits (CRDT) that are
 * not reversals are payments; everything else is listed as skipped with the reason.
 *
 * A file that is not well-formed XML, not camt.053, or has an entry without a readable amount is
 * refused whole (ValidationError naming the line or the element), so nothing of it is recorded.
 */
const NAMESPACE = /^urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.(\d{2})$/;
const REPEATED = new Set(['Stmt', 'Ntry', 'NtryDtls', 'TxDtls', 'Ustrd', 'Strd', 'Bal']);

type Node = Record<string, unknown>;

export interface Camt053File {
  version: string;
  messageId: string | null;
  statements: ReadStatement[];
}

function fail(where: string, message: string): never {
  throw new ValidationError(`camt.053: ${where}: ${message}; nothing was imported`, [{ field: where, message }]);
}

const obj = (v: unknown): Node | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Node) : undefined);
const list = (v: unknown): Node[] => (Array.isArray(v) ? v.map(obj).filter((x): x is Node => x !== undefined) : obj(v) ? [obj(v)!] : []);
/** The text of an element, whether it came as plain text or as an object with attributes. */
function text(v: unknown): string | null {
  if (typeof v === 'string') return v.trim() || null;
  if (typeof v === 'number') return String(v);
  const o = obj(v);
  if (o && typeof o['#text'] === 'string') return o['#text'].trim() || null;
  return null;
}
function at(v: unknown, ...path: string[]): unknown {
  let cur: unknown = v;
  for (const p of path) cur = obj(cur)?.[p];
  return cur;
}

export function parseCamt053(xml: string): Camt053File {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) fail(`line ${valid.err.line}, column ${valid.err.col}`, `not well-formed XML (${valid.err.msg})`);
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '@',
    removeNSPrefix: true,
    parseTagValue: false,
    parseAttributeValue: false,
    processEntities: true,
    isArray: (name) => REPEATED.has(name),
  }).parse(xml) as Node;
  const root = obj(doc['Document']);
  if (!root) fail('Document', 'the root element is not <Document>');
  // The parser drops namespace declarations with their prefixes, so the root's is read from its tag.
  const tag = /<(?:([A-Za-z_][\w.-]*):)?Document\b([^>]*)>/.exec(xml);
  const ns = tag ? new RegExp(`\\sxmlns${tag[1] ? `:${tag[1]}` : ''}\\s*=\\s*["']([^"']*)["']`).exec(tag[2]!)?.[1] : undefined;
  const version = ns ? NAMESPACE.exec(ns)?.[1] : undefined;
  if (!version) fail('Document/@xmlns', `not a camt.053 namespace (${JSON.stringify(ns ?? null)}); expected urn:iso:std:iso:20022:tech:xsd:camt.053.001.02 or a later version`);
  const msg = obj(root['BkToCstmrStmt']);
  if (!msg) fail('Document/BkToCstmrStmt', 'missing');
  const statements = list(msg['Stmt']);
  if (statements.length === 0) fail('BkToCstmrStmt/Stmt', 'the file holds no statement');
  return { version, messageId: text(at(msg, 'GrpHdr', 'MsgId')), statements: statements.map((s, i) => readStatement(s, `Stmt[${i + 1}]`)) };
}

function readStatement(s: Node, where: string): ReadStatement {
  const statementId = text(s['Id']);
  const iban = text(at(s, 'Acct', 'Id', 'IBAN')) ?? text(at(s, 'Acct', 'Id', 'Othr', 'Id'));
  if (!iban) fail(`${where}/Acct/Id`, 'the account has no IBAN (or other id)');
  const lines: StatementLine[] = [];
  const skipped: ReadStatement['skipped'] = [];
  list(s['Ntry']).forEach((n, i) => {
    const w = `${where}/Ntry[${i + 1}]`;
    const ref = text(n['AcctSvcrRef']) ?? text(n['NtryRef']) ?? `${statementId ?? iban}/${i + 1}`;
    const status = text(n['Sts']) ?? text(at(n, 'Sts', 'Cd'));
    const indicator = text(n['CdtDbtInd']);
    if (indicator !== 'CRDT' && indicator !== 'DBIT') fail(`${w}/CdtDbtInd`, `must be CRDT or DBIT, not ${JSON.stringify(indicator)}`);
    const { minor, currency } = amountOf(n['Amt'], `${w}/Amt`);
    if (indicator === 'DBIT') return void skipped.push({ externalId: ref, reason: 'debit' });
    if (status !== 'BOOK') return void skipped.push({ externalId: ref, reason: `status ${status ?? 'missing'}, not BOOK` });
    if (text(n['RvslInd']) === 'true') return void skipped.push({ externalId: ref, reason: 'reversal' });
    const bookingDate = dateOf(n['BookgDt']);
    if (!bookingDate) fail(`${w}/BookgDt`, 'a booked entry needs a booking date (Dt or DtTm)');
    const valueDate = dateOf(n['ValDt']);
    const txs = list(n['NtryDtls']).flatMap((d) => list(d['TxDtls']));
    // A batch entry (one booking, several transactions) is split when each transaction says its
    // own amount; otherwise the entry is one payment with the first transaction's details.
    const split = txs.length > 1 && txs.every((tx) => txAmount(tx) !== undefined);
    const parts: Array<{ tx: Node | undefined; k: number }> = split ? txs.map((tx, k) => ({ tx, k })) : [{ tx: txs[0], k: -1 }];
    let sum = 0n;
    for (const { tx, k } of parts) {
      const own = split && tx ? amountOf(txAmount(tx), `${w}/NtryDtls/TxDtls[${k + 1}]/Amt`) : { minor, currency };
      if (own.currency !== currency) fail(`${w}/NtryDtls/TxDtls[${k + 1}]`, `currency ${own.currency} differs from the entry's ${currency}`);
      sum += own.minor;
      lines.push({ externalId: split ? `${ref}#${k + 1}` : ref, amountMinor: own.minor, currency, bookingDate, valueDate, ...details(tx) });
    }
    if (split && sum !== minor) fail(`${w}/NtryDtls`, `the transactions add up to ${sum} minor units, the entry says ${minor}`);
  });
  return { source: `camt053:${iban.replace(/\s+/g, '')}`, statementId, lines, skipped };
}

function txAmount(tx: Node): unknown {
  return tx['Amt'] ?? at(tx, 'AmtDtls', 'TxAmt', 'Amt');
}

function amountOf(amt: unknown, where: string): { minor: bigint; currency: string } {
  const value = text(amt);
  const currency = obj(amt)?.['@Ccy'];
  if (value === null) fail(where, 'missing amount');
  if (typeof currency !== 'string') fail(`${where}/@Ccy`, 'missing currency');
  const read = exactMinor(value, currency);
  if ('error' in read) fail(where, read.error);
  if (read.minor <= 0n) fail(where, `an amount must be positive (${value}); the direction is CdtDbtInd`);
  return { minor: read.minor, currency };
}

function dateOf(v: unknown): string | null {
  const d = text(at(v, 'Dt')) ?? text(at(v, 'DtTm'));
  return d && /^\d{4}-\d{2}-\d{2}/.test(d) ? d.slice(0, 10) : null;
}

function details(tx: Node | undefined): Pick<StatementLine, 'remittance' | 'references' | 'endToEndId' | 'payer'> {
  if (!tx) return { remittance: '', references: [], endToEndId: null, payer: null };
  const rmt = obj(tx['RmtInf']);
  const ustrd = (rmt ? (Array.isArray(rmt['Ustrd']) ? rmt['Ustrd'] : [rmt['Ustrd']]) : []).map(text).filter((s): s is string => s !== null);
  const references = list(rmt?.['Strd'])
    .map((s) => text(at(s, 'CdtrRefInf', 'Ref')))
    .filter((s): s is string => s !== null);
  const e2e = text(at(tx, 'Refs', 'EndToEndId'));
  const dbtr = at(tx, 'RltdPties', 'Dbtr');
  const payer = text(at(dbtr, 'Nm')) ?? text(at(dbtr, 'Pty', 'Nm'));
  return { remittance: ustrd.join(' '), references, endToEndId: e2e && e2e !== 'NOTPROVIDED' ? e2e : null, payer };
}
