import { createHash } from 'node:crypto';

/** Hex sha256 of text or bytes: the identity of a chunk's text and of a document's content. */
export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
