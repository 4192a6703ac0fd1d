import { execFile } from 'node:child_process';
import { join } from 'node:path';

export interface ExtractionRun {
  readonly pages: number;
  readonly characters: number;
  readonly parseMs: number;
  readonly peakRssKb: number;
}

/** pdf-parse alone on `files`, in a fresh Node process (as a worker starts fresh), sequentially. */
export function extractAlone(files: readonly string[], timeoutMs = 300_000): Promise<ExtractionRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [join(import.meta.dirname, 'extract-alone.ts'), ...files],
      { timeout: timeoutMs, maxBuffer: 1 << 20 },
      (error, stdout, stderr) => {
        if (error !== null) {
          reject(new Error(`extract-alone failed: ${error.message} ${stderr}`));
          return;
        }
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as ExtractionRun);
      },
    );
  });
}
