import { randomBytes } from 'node:crypto';
import { QueryTypes, type Transaction } from 'sequelize';
import type { Clock } from '../../common/clock.js';
import type { Database } from '../../db/database.js';

export interface ImportUpload {
  token: string;
  userId: number;
  filename: string;
  content: Buffer;
}

/** Uploads older than this are dropped: a preview left open overnight is uploaded again. */
const KEEP_MS = 24 * 3600_000;

/**
 * An uploaded CSV between preview and confirmation. Kept in the database because the confirming
 * request may reach another plugin instance than the uploading one.
 */
export class ImportUploadsRepository {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {}

  async save(userId: number, filename: string, content: Buffer): Promise<string> {
    const token = randomBytes(24).toString('base64url');
    const now = this.clock.now();
    await this.db.sequelize.query('DELETE FROM import_uploads WHERE created_at < :cutoff', {
      replacements: { cutoff: new Date(now.getTime() - KEEP_MS) },
      type: QueryTypes.DELETE,
    });
    // Stored as base64 text: the bytes exactly as uploaded, whatever their encoding.
    await this.db.sequelize.query('INSERT INTO import_uploads (token, user_id, filename, content, created_at) VALUES (:token, :userId, :filename, :content, :now)', {
      replacements: { token, userId, filename: filename.slice(0, 255), content: content.toString('base64'), now },
      type: QueryTypes.INSERT,
    });
    return token;
  }

  /** Only the staff member who uploaded it can use it, and only within the day it is kept. */
  async find(token: string, userId: number): Promise<ImportUpload | null> {
    // Expired rows are deleted only when the next upload comes; until then they must not count.
    const cutoff = new Date(this.clock.now().getTime() - KEEP_MS);
    const rows = await this.db.sequelize.query<{ filename: string; content: string }>(
      'SELECT filename, content FROM import_uploads WHERE token = :token AND user_id = :userId AND created_at >= :cutoff',
      { replacements: { token, userId, cutoff }, type: QueryTypes.SELECT },
    );
    const r = rows[0];
    return r ? { token, userId, filename: r.filename, content: Buffer.from(r.content, 'base64') } : null;
  }

  async remove(token: string, transaction?: Transaction): Promise<void> {
    await this.db.sequelize.query('DELETE FROM import_uploads WHERE token = :token', { replacements: { token }, type: QueryTypes.DELETE, transaction });
  }
}
