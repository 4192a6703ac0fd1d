import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { DocumentRejectedError } from '@lanes/contracts';
import { openInsideRoots } from '../paths.ts';

/** Where a file may be opened from: anywhere (trusted callers), or only under these roots. */
export type FileConfinement = { readonly roots: readonly string[] } | undefined;

/**
 * Opens a document file read-only, confined to allowed roots when asked (a path sent over
 * HTTP): checked again each time it is opened, so a link swapped in after enqueue is refused.
 */
export async function openDocumentFile(
  path: string,
  source: string,
  confinement: FileConfinement,
): Promise<FileHandle> {
  if (confinement !== undefined) return openInsideRoots(path, confinement.roots);
  try {
    return await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    throw new DocumentRejectedError(
      source,
      code === 'ENOENT' ? 'file not found' : `cannot be read (${String(code ?? error)})`,
    );
  }
}

/** Device and inode: the opened file is the one that was described and hashed. */
export async function fileIdentity(handle: FileHandle): Promise<string> {
  const info = await handle.stat({ bigint: true });
  return `${info.dev}:${info.ino}`;
}
