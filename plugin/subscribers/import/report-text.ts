import type { ImportReport } from './import.service.js';

/** The import report as the CLI prints it: what happened (stdout) and each problem (stderr). */
export function reportText(report: ImportReport, file: string): { out: string[]; err: string[] } {
  const c = report.counts;
  const out: string[] = [];
  const err = report.errors.map((e) => `${file}: line ${e.line}${e.column ? `, ${e.column}` : ''}: ${e.message}`);
  if (report.errors.length) {
    err.push(`${report.errors.length} problem(s); nothing was imported (the file is imported whole or not at all)`);
    return { out, err };
  }
  if (report.dryRun) {
    for (const ch of report.changes) out.push(`line ${ch.line}: ${ch.what} ${ch.externalId}${ch.login ? ` ${ch.login}` : ''}${ch.detail ? `: ${ch.detail}` : ''}`);
  }
  const verb = report.dryRun ? 'would be' : 'were';
  out.push(
    `${report.rows} line(s) read (${report.delimiter === ';' ? 'semicolon' : 'comma'} separated). ` +
      `Accounts: ${c.accountsCreated} ${verb} created, ${c.accountsUpdated} updated, ${c.accountsUnchanged} unchanged. ` +
      `Services: ${c.servicesCreated} ${verb} created, ${c.servicesUpdated} updated, ${c.servicesUnchanged} unchanged.` +
      (report.dryRun ? ' Dry run: nothing was written.' : ''),
  );
  return { out, err };
}
