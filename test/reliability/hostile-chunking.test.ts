// Pathological text for the chunker (issue 15, point 4): megabyte runs of one character class
// used to take quadratic time (160 kB of spaces: 37 s) or overflow the stack (8 MB without
// whitespace), while a 35-byte document waited behind them. Chunking must be linear in the
// input for every pattern, survive any input, stop at a per-document time bound, and never
// make a small document wait for a huge one.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingest } from '@lanes/contracts';
import type { LanesClient } from '@lanes/client';
import { runIsolated } from '@lanes/worker-core';
import { eventually, sleep } from '../support/env.ts';
import { ragTestEnv, type TestEnv } from '../rag/helpers.ts';
import { settle, type WorkerProcess } from './helpers.ts';
import { startRagWorker, type RagWorker } from './rag-stack.ts';
import { REAL_PDFS } from './rag-support.ts';
import { PATTERNS, type PatternName } from './chunk-timing.ts';

const TIMING = new URL('./chunk-timing.ts', import.meta.url);
const MB = 1 << 20;

/** Best of three chunkings in a thread of its own, killed after `deadlineMs`. */
function timeIn(pattern: PatternName, bytes: number, deadlineMs: number): Promise<{ ms: number; chunks: number }> {
  return runIsolated(
    TIMING,
    'timeChunking',
    { pattern, bytes, runs: 3 },
    { signal: AbortSignal.timeout(deadlineMs), maxHeapMb: 2048 },
  );
}

describe('chunking pathological text', () => {
  test('time is linear in the input for every pattern: 4 MB takes at most ~6x the time of 1 MB', {
    timeout: 300_000,
  }, async () => {
    const lines: string[] = [];
    // A few ms of slack: patterns that normalise to almost nothing finish within timer noise.
    const linear = (small: { ms: number }, large: { ms: number }): boolean => large.ms <= 6 * small.ms + 20;
    for (const pattern of Object.keys(PATTERNS) as PatternName[]) {
      let small = await timeIn(pattern, MB, 60_000);
      let large = await timeIn(pattern, 4 * MB, 60_000);
      // Measured once more on a miss: other work on the machine (or a GC) can stretch one
      // measurement; quadratic time (16x) misses both.
      if (!linear(small, large))
        [small, large] = [await timeIn(pattern, MB, 60_000), await timeIn(pattern, 4 * MB, 60_000)];
      lines.push(`${pattern}: 1 MB ${small.ms.toFixed(1)} ms, 4 MB ${large.ms.toFixed(1)} ms (${large.chunks} chunks)`);
      assert.ok(
        linear(small, large),
        `${pattern}: 4 MB took ${large.ms.toFixed(1)} ms, 1 MB ${small.ms.toFixed(1)} ms`,
      );
    }
    console.log(`chunking times (best of 3):\n  ${lines.join('\n  ')}`);
  });

  test('no input overflows the stack: 8 MB without whitespace, of one character, of dots', {
    timeout: 120_000,
  }, async () => {
    for (const pattern of ['no whitespace (base64)', 'one character', 'dots', 'spaces'] as const) {
      const { chunks } = await timeIn(pattern, 8 * MB, 60_000);
      assert.ok(chunks >= 1, `${pattern}: ${chunks} chunks`);
    }
  });
});

/** Copies of the 36-page manual in the huge PDF. */
const HUGE_COPIES = 150;

describe('a huge document in a worker', () => {
  let root: string;
  let env: TestEnv;
  let worker: WorkerProcess;
  let client: LanesClient;
  let stack: RagWorker | undefined;
  let hugePdf: string;
  let tiny: string;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'lanes-hostile-chunking-'));
    // Copies of a 36-page manual: 5,400 pages, well past the time bound even on an idle machine
    // (2,160 pages were parsed inside 9 s once the machine was quiet).
    hugePdf = join(root, 'huge.pdf');
    execFileSync('qpdf', [
      '--empty',
      '--pages',
      ...Array.from({ length: HUGE_COPIES }, () => REAL_PDFS[0]!),
      '--',
      hugePdf,
    ]);
    tiny = join(root, 'tiny.txt');
    writeFileSync(tiny, 'A note of thirty-five bytes here.\n');
    env = ragTestEnv('hugedoc', {
      EMBEDDING_PROVIDER: 'local',
      LANES_ALLOWED_ROOTS: root,
      // One thread for large documents, as a 2-core machine gets by default.
      LANES_EXTRACT_THREADS: '1',
      LANES_EXTRACT_TIMEOUT_MS: '9000',
      LANES_DRAIN_TIMEOUT_MS: '3000',
      LOG_LEVEL: 'warn',
    });
    stack = await startRagWorker(env, 4);
    ({ worker, client } = stack);
  });

  after(async () => {
    await stack?.close();
    rmSync(root, { recursive: true, force: true });
  });

  test('a 35-byte document completes while a huge one is extracted, and the huge one stops at the time bound', {
    timeout: 120_000,
  }, async () => {
    const huge = await client.enqueue(ingest, { path: hugePdf });
    await eventually(
      async () => ((await client.status(huge.id)).state === 'active' ? true : undefined),
      30_000,
      'the huge document to start',
    );
    await sleep(300);
    const started = Date.now();
    const small = await client.enqueue(ingest, { path: tiny });
    const [smallStatus] = await settle(client, [small.id], 60_000, 'the tiny document');
    const smallMs = Date.now() - started;
    const hugeWhenSmallDone = await client.status(huge.id);
    assert.equal(smallStatus!.state, 'completed', smallStatus!.failedReason ?? '');
    assert.equal(hugeWhenSmallDone.state, 'active', `the tiny document took ${smallMs} ms: it waited for the huge one`);

    const [hugeStatus] = await settle(client, [huge.id], 60_000, 'the huge document');
    assert.equal(hugeStatus!.state, 'failed');
    assert.match(hugeStatus!.failedReason ?? '', /longer than 9000 ms \(LANES_EXTRACT_TIMEOUT_MS\)/);
    assert.equal(hugeStatus!.attemptsMade, 1, 'a document over the time bound fails once, without retries');
    console.log(
      `tiny document done in ${smallMs} ms while the ${HUGE_COPIES * 36}-page PDF was extracted; the PDF failed: ${hugeStatus!.failedReason}`,
    );
    assert.equal(worker.process.exitCode, null, 'the worker is still up');
  });
});
