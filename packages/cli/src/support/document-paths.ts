import { readdir, stat } from 'node:fs/promises';
import { extname, join, resolve } from 'node:path';
import { UsageError } from './args.ts';

export const INGESTIBLE_EXTENSIONS = ['.pdf', '.txt', '.md', '.markdown'] as const;

function isIngestible(path: string): boolean {
  return (INGESTIBLE_EXTENSIONS as readonly string[]).includes(extname(path).toLowerCase());
}

/**
 * Files named directly are taken as they are (the job reports an unsupported type); folders are
 * walked for pdf, txt and md files. Returns absolute paths, sorted, without duplicates.
 */
export async function expandDocumentPaths(paths: readonly string[]): Promise<string[]> {
  const found = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) await walk(full);
      else if (entry.isFile() && isIngestible(full)) found.add(full);
    }
  };
  for (const raw of paths) {
    const path = resolve(raw);
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) throw new UsageError(`PATH ${raw} does not exist`);
    if (info.isDirectory()) await walk(path);
    else found.add(path);
  }
  return [...found].sort();
}
