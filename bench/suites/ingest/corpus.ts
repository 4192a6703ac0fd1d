import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildPdf, wrap } from '../../lib/pdf-writer.ts';
import { syntheticDocument } from '../../lib/text-corpus.ts';
import { REPO_ROOT } from '../../lib/worker-process.ts';

export interface CorpusFile {
  readonly path: string;
  readonly name: string;
  readonly bytes: number;
}

export interface Corpus {
  readonly files: readonly CorpusFile[];
  readonly largest: CorpusFile;
  /** Removes the generated file. */
  dispose(): void;
}

const FOLDERS = ['samples', join('test', 'fixtures', 'pdf')];

function pdfsIn(folder: string): CorpusFile[] {
  try {
    return readdirSync(join(REPO_ROOT, folder))
      .filter((name) => name.toLowerCase().endsWith('.pdf'))
      .sort()
      .map((name) => {
        const path = join(REPO_ROOT, folder, name);
        return { path, name: join(folder, name), bytes: statSync(path).size };
      });
  } catch {
    return [];
  }
}

/**
 * The PDFs shipped in the repo (samples/, test/fixtures/pdf/) plus one generated document of
 * `syntheticPages` pages, since the shipped ones are small and nothing may be downloaded.
 */
export function loadCorpus(syntheticPages: number): Corpus {
  // The same file may ship in two folders: ingest dedups by content, pdf-parse would not.
  const seen = new Set<string>();
  const shipped = FOLDERS.flatMap(pdfsIn).filter((file) => {
    const hash = createHash('sha256').update(readFileSync(file.path)).digest('hex');
    if (seen.has(hash)) return false;
    seen.add(hash);
    return true;
  });
  const dir = mkdtempSync(join(tmpdir(), 'lanes-bench-pdf-'));
  const name = `synthetic-${syntheticPages}-pages.pdf`;
  const path = join(dir, name);
  const pages = Array.from({ length: syntheticPages }, (_, i) => wrap(syntheticDocument(50_000 + i, 560)).slice(0, 62));
  writeFileSync(path, buildPdf(pages));
  const files = [...shipped, { path, name: `(generated) ${name}`, bytes: statSync(path).size }];
  const largest = files.reduce((a, b) => (b.bytes > a.bytes ? b : a));
  return { files, largest, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
