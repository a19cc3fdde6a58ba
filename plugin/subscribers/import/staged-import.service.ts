import type { AccountImportService, ImportReport } from './import.service.js';
import type { ImportUploadsRepository } from './uploads.repository.js';

export interface StagedImportDeps {
  importer: Pick<AccountImportService, 'run'>;
  uploads: Pick<ImportUploadsRepository, 'save' | 'find' | 'remove'>;
}

/**
 * The import page's two steps: a preview (a dry run) keeps a file without errors for its
 * uploader, and the confirmation imports that same file for real, using the upload up in the
 * transaction that writes the import (so a confirmed file is never imported twice, even if the
 * process dies right after).
 */
export class StagedImportService {
  constructor(private readonly deps: StagedImportDeps) {}

  async preview(input: { userId: number; actor: string; filename: string; content: Buffer }): Promise<{ report: ImportReport; token: string | null }> {
    const report = await this.deps.importer.run(input.content, { dryRun: true, actor: input.actor, source: input.filename });
    const token = report.errors.length ? null : await this.deps.uploads.save(input.userId, input.filename, input.content);
    return { report, token };
  }

  /** null when the upload is gone (confirmed already, older than a day, or another user's). */
  async confirm(input: { token: string; userId: number; actor: string }): Promise<{ report: ImportReport; filename: string } | null> {
    const upload = input.token ? await this.deps.uploads.find(input.token, input.userId) : null;
    if (!upload) return null;
    const report = await this.deps.importer.run(upload.content, {
      dryRun: false,
      actor: input.actor,
      source: upload.filename,
      alsoInTransaction: (t) => this.deps.uploads.remove(upload.token, t),
    });
    return { report, filename: upload.filename };
  }
}
