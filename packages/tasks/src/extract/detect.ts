import { extname } from 'node:path';
import { DocumentRejectedError } from '../errors.ts';

export const DOCUMENT_KINDS = ['pdf', 'txt', 'md'] as const;
export type DocumentKind = (typeof DOCUMENT_KINDS)[number];

const BY_EXTENSION: Readonly<Record<string, DocumentKind>> = {
  '.pdf': 'pdf',
  '.txt': 'txt',
  '.text': 'txt',
  '.md': 'md',
  '.markdown': 'md',
};

/** The kind a file is read as, from its extension; anything else is refused (permanently). */
export function detectKind(path: string, source = path): DocumentKind {
  const extension = extname(path).toLowerCase();
  const kind = BY_EXTENSION[extension];
  if (kind === undefined) {
    const shown = extension === '' ? 'a file without extension' : `"${extension}" files`;
    throw new DocumentRejectedError(source, `unsupported document type: ${shown} (supported: .pdf, .txt, .md)`);
  }
  return kind;
}
