import type { Router } from 'express';
import { requireApiRole } from '../../api/router.js';
import type { InvoiceDocumentsService } from './documents.service.js';
import { invoiceIdOf, sendPdf } from './web/pages.js';

/** GET /api/v1/invoices/{id}/pdf: the stored PDF (rendered first if it is not yet). */
export function deliveryApi(router: Router, deps: { documents: InvoiceDocumentsService }): void {
  router.get('/invoices/:id/pdf', requireApiRole('readonly'), async (req, res) => {
    sendPdf(res, await deps.documents.pdf(invoiceIdOf(req)));
  });
}
