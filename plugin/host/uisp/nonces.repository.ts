import { QueryTypes } from 'sequelize';
import { isDuplicateKey, type Database } from '../../db/database.js';
import type { NonceStore } from './assertion.js';

/**
 * Nonces of page assertions in the database (host_assertion_nonces), so that an assertion used
 * on one Octet instance is refused on every other: the insert is the claim, the primary key the
 * judge. Expired rows are deleted now and then by the claims themselves.
 */
export class DbNonceStore implements NonceStore {
  private claims = 0;
  constructor(private readonly db: Database) {}

  async claim(nonce: string, expiresAtSeconds: number, nowSeconds: number): Promise<boolean> {
    if (++this.claims % 100 === 1) {
      await this.db.sequelize.query('DELETE FROM host_assertion_nonces WHERE expires_at < ?', { replacements: [nowSeconds] });
    }
    try {
      await this.db.sequelize.query('INSERT INTO host_assertion_nonces (nonce, expires_at) VALUES (?, ?)', { replacements: [nonce, expiresAtSeconds], type: QueryTypes.INSERT });
      return true;
    } catch (err) {
      if (isDuplicateKey(err)) return false;
      throw err;
    }
  }
}
