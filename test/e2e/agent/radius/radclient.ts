import { execFile } from 'node:child_process';

export const RADCLIENT = '/usr/bin/radclient';

export interface RadclientResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** True when radclient printed a received Accounting-Response. */
  answered: boolean;
}

/**
 * Runs FreeRADIUS's radclient with one packet's attributes on stdin (one `Name = value` per line).
 * `extra` adds options, e.g. ['-c', '2'] to send the packet twice.
 */
export function radclient(
  port: number,
  secret: string,
  attributes: string[],
  opts: { timeoutSeconds?: number; retries?: number; extra?: string[] } = {},
): Promise<RadclientResult> {
  const args = [
    '-x',
    '-t', String(opts.timeoutSeconds ?? 3),
    '-r', String(opts.retries ?? 3),
    ...(opts.extra ?? []),
    `127.0.0.1:${port}`,
    'acct',
    secret,
  ];
  return new Promise((resolve) => {
    const child = execFile(RADCLIENT, args, { timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ code, stdout, stderr, answered: /Received Accounting-Response/.test(stdout) });
    });
    child.stdin!.end(attributes.join('\n') + '\n');
  });
}
