import { createHash, randomBytes } from 'node:crypto';

/**
 * Bearer secrets (API tokens, agent tokens): 256 random bits, stored only as their SHA-256 (a
 * fast hash is right for secrets that long). Shared by auth's API tokens and ingest's agents, so
 * it lives in the kernel rather than in either module.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function generateToken(kind: 'api' | 'agent'): string {
  return `oct_${kind}_${randomBytes(32).toString('base64url')}`;
}
