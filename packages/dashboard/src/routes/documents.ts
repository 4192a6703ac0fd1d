import { Router } from 'express';
import { tenantId, z } from '@lanes/contracts';
import { badRequest, HttpError, notFound } from '../errors.ts';
import type { DocumentsBackend } from '../options.ts';
import { fieldIssues } from './jobs.ts';

export interface DocumentRoutesOptions {
  readonly documents: DocumentsBackend | undefined;
  readonly readOnly: boolean;
}

const listQuerySchema = z.object({ tenant: tenantId.optional() }).strict();
const documentId = z.string().regex(/^\d{1,18}$/, 'must be a document id (digits)');

function backendOf(options: DocumentRoutesOptions): DocumentsBackend {
  if (options.documents === undefined)
    throw new HttpError(501, 'this dashboard has no document store (run it with the built-in tasks)', {
      code: 'NOT_IMPLEMENTED',
    });
  return options.documents;
}

/** `GET /api/documents` (the `documents` shape) and `DELETE /api/documents/:id` (204; 403 in read-only mode). */
export function documentRoutes(options: DocumentRoutesOptions): Router {
  const router = Router();

  router.get('/api/documents', async (req, res) => {
    const parsed = listQuerySchema.safeParse(req.query);
    if (!parsed.success) throw badRequest('invalid query', fieldIssues(parsed.error, '(query)'));
    const documents = await backendOf(options).list(
      parsed.data.tenant === undefined ? {} : { tenant: parsed.data.tenant },
    );
    res.set('cache-control', 'no-store').json({ documents });
  });

  router.delete('/api/documents/:id', async (req, res) => {
    if (options.readOnly)
      throw new HttpError(403, 'the dashboard is read-only (LANES_DASHBOARD_READ_ONLY)', { code: 'READ_ONLY' });
    const id = documentId.safeParse(req.params.id);
    if (!id.success) throw badRequest('invalid document id', fieldIssues(id.error, 'id'));
    const outcome = await backendOf(options).deleteByIds([id.data]);
    if (outcome.documents.length === 0) throw notFound(`document ${id.data} not found`);
    res.status(204).end();
  });

  return router;
}
