import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';
import type { InvoiceView } from './invoice-view.js';

/** The views folder at the repository root (this file is plugin/invoicing/document/). */
export const INVOICE_VIEWS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'views', 'invoice');

export type InvoiceTemplate = (view: InvoiceView) => string;

/** Compiles views/invoice/invoice.ejs once; the function it returns turns a view model into HTML. */
export function loadInvoiceTemplate(file = join(INVOICE_VIEWS, 'invoice.ejs')): InvoiceTemplate {
  const fn = ejs.compile(readFileSync(file, 'utf8'), { filename: file, localsName: 'v', strict: true, _with: false });
  return (view) => fn(view);
}
