import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { DocumentRejectedError, PermanentError } from '@lanes/contracts';
import { createDocumentExtractor, describeFile, extractDocument, type DocumentExtractor } from '@lanes/tasks';
import { FIXTURES } from './helpers.ts';

const CHUNKING = { maxTokens: 400, overlapTokens: 60 };
const LIMITS = {
  maxBytes: 100 * 1024 * 1024,
  maxPages: 10_000,
  maxHeapMb: 256,
  timeoutMs: 120_000,
  maxMemoryMb: 1024,
  maxTextChars: 50_000_000,
  pagesPerSlice: 5,
};
const MANUAL = join(FIXTURES, 'pdf', 'libtasn1-manual.pdf');

describe('extraction in worker threads', () => {
  const pools: DocumentExtractor[] = [];
  const pool = (maxHeapMb = LIMITS.maxHeapMb, threads = 1): DocumentExtractor => {
    const created = createDocumentExtractor({ ...LIMITS, maxHeapMb }, threads);
    pools.push(created);
    return created;
  };
  after(() => Promise.all(pools.map((p) => p.close())));

  test('a real PDF is parsed page by page with progress, while the event loop stays responsive', async () => {
    const input = await describeFile(MANUAL, 'manual', CHUNKING, LIMITS);
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const progress: number[] = [];
    const output = await extractDocument(pool(), input, CHUNKING, LIMITS, {
      onProgress: (p) => p.stage === 'extracting' && progress.push(p.pagesParsed),
    });
    lag.disable();
    assert.equal(output.pages, 36);
    assert.ok(output.chunks.length > 20);
    assert.ok(
      output.chunks.some((chunk) => /asn1_der_coding/.test(chunk.text)),
      'the manual text is there',
    );
    assert.deepEqual(progress, [1, 6, 11, 16, 21, 26, 31, 36]);
    const maxLagMs = lag.max / 1e6;
    assert.ok(maxLagMs < 250, `event loop blocked for ${maxLagMs.toFixed(0)} ms during extraction`);
  });

  test('aborting kills the extraction promptly', async () => {
    const input = await describeFile(MANUAL, 'manual', CHUNKING, LIMITS);
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(new Error('job cancelled')), 100);
    const extractor = pool();
    await assert.rejects(
      extractDocument(extractor, input, CHUNKING, LIMITS, { signal: controller.signal }),
      /job cancelled/,
    );
    assert.ok(Date.now() - started < 1000);
    // The killed thread is replaced: the pool keeps working.
    const again = await extractDocument(extractor, input, CHUNKING, LIMITS);
    assert.equal(again.pages, 36);
  });

  test('threads are reused: a warm thread extracts the same document faster than a cold one', async () => {
    const input = await describeFile(MANUAL, 'manual', CHUNKING, LIMITS);
    const extractor = pool();
    const timed = async (): Promise<number> => {
      const started = performance.now();
      await extractDocument(extractor, input, CHUNKING, LIMITS);
      return performance.now() - started;
    };
    const cold = await timed();
    const warm = Math.min(await timed(), await timed());
    assert.ok(warm < cold * 0.8, `cold ${cold.toFixed(0)} ms, warm ${warm.toFixed(0)} ms`);
  });

  test('a heap cap too small for the document fails it permanently with a readable reason', async () => {
    const input = await describeFile(MANUAL, 'manual', CHUNKING, LIMITS);
    await assert.rejects(extractDocument(pool(4), input, CHUNKING, { ...LIMITS, maxHeapMb: 4 }), (error: unknown) => {
      assert.ok(error instanceof PermanentError);
      assert.match(error.message, /memory|exited/);
      return true;
    });
  });

  test('a page limit refuses oversized PDFs before parsing them', async () => {
    const input = await describeFile(MANUAL, 'manual', CHUNKING, LIMITS);
    await assert.rejects(
      extractDocument(pool(), input, CHUNKING, { ...LIMITS, maxPages: 10 }),
      /has 36 pages, more than the limit of 10 \(LANES_MAX_PDF_PAGES\)/,
    );
  });

  test('a DocumentRejectedError thrown in the thread arrives as one, with its code and context', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lanes-rejected-'));
    try {
      const path = join(dir, 'binary.txt');
      writeFileSync(path, Buffer.from('text\0with a NUL byte'));
      const input = await describeFile(path, 'binary.txt', CHUNKING, LIMITS);
      await assert.rejects(extractDocument(pool(), input, CHUNKING, LIMITS), (error: unknown) => {
        assert.ok(error instanceof DocumentRejectedError, `got ${String(error)}`);
        assert.equal(error.code, 'DOCUMENT_REJECTED');
        assert.deepEqual(error.context, {
          source: 'binary.txt',
          reason: 'looks like binary data, not text (contains NUL bytes)',
        });
        assert.equal(error.reason, 'looks like binary data, not text (contains NUL bytes)');
        assert.equal(error.message, 'cannot ingest binary.txt: looks like binary data, not text (contains NUL bytes)');
        return true;
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
