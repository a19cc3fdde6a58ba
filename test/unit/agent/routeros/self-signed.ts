import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

export interface SelfSigned {
  cert: string;
  key: string;
  /** SHA-256 fingerprint as `AA:BB:…`, the way an operator copies it from the router. */
  fingerprint256: string;
}

/** A throw-away self-signed certificate for 127.0.0.1 (as a router's API-SSL certificate is). */
export function makeSelfSigned(cn = 'router.test'): SelfSigned {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'octet-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
        '-subj', `/CN=${cn}`, '-addext', 'subjectAltName=IP:127.0.0.1',
        '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    const cert = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
    const key = readFileSync(path.join(dir, 'key.pem'), 'utf8');
    return { cert, key, fingerprint256: new X509Certificate(cert).fingerprint256 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
