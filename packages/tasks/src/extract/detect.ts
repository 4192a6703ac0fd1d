import { extname } from 'node:path';
import { DOCUMENT_EXTENSIONS, DocumentRejectedError, type DocumentKind } from '@lanes/contracts';

/** The kind a file is read as, from its extension; anything else is refused (permanently). */
export function detectKind(path: string, source = path): DocumentKind {
  const extension = extname(path).toLowerCase();
  const kind = DOCUMENT_EXTENSIONS[extension];
  if (kind === undefined) {
    const shown = extension === '' ? 'a file without extension' : `"${extension}" files`;
    throw new DocumentRejectedError(
      source,
      `unsupported document type: ${shown} (supported: ${Object.keys(DOCUMENT_EXTENSIONS).join(', ')})`,
    );
  }
  return kind;
}
