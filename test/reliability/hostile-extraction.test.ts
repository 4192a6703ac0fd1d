// Bounded extraction (issue 15, point 3): the V8 heap cap does not bound decoded PDF streams,
// which live in ArrayBuffers outside it; a 1 MB PDF whose content stream inflates to 1 GiB
// took a worker from 245 MB to 2.3 GB RSS. The bomb must fail its own job once, with a
// readable reason, while the worker's RSS stays under the memory limit plus its idle size;
// extracted text per document is capped too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingest } from '@lanes/contracts';
import type { LanesClient } from '@lanes/client';
import { sleep } from '../support/env.ts';
import { ragTestEnv, type TestEnv } from '../rag/helpers.ts';
import { mib, rssBytes, settle, type WorkerProcess } from './helpers.ts';
import { startRagWorker, type RagWorker } from './rag-stack.ts';
import { REAL_PDFS } from './rag-support.ts';

const MEMORY_LIMIT_MB = 256;
const MAX_TEXT_CHARS = 20_000;
const BOMB_SCRIPT = join(import.meta.dirname, 'pdf-bomb.py');

describe('hostile documents against the extraction limits', () => {
  let root: string;
  let env: TestEnv;
  let worker: WorkerProcess;
  let client: LanesClient;
  let stack: RagWorker | undefined;

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'lanes-hostile-extraction-'));
    env = ragTestEnv('bomb', {
      EMBEDDING_PROVIDER: 'local',
      LANES_ALLOWED_ROOTS: root,
      LANES_EXTRACT_THREADS: '1',
      LANES_EXTRACT_MEMORY_MB: String(MEMORY_LIMIT_MB),
      LANES_MAX_TEXT_CHARS: String(MAX_TEXT_CHARS),
      LANES_DRAIN_TIMEOUT_MS: '3000',
      LOG_LEVEL: 'warn',
    });
    stack = await startRagWorker(env, 2);
    ({ worker, client } = stack);
  });

  after(async () => {
    await stack?.close();
    rmSync(root, { recursive: true, force: true });
  });

  async function ingestOne(path: string, what: string, timeoutMs = 60_000) {
    const handle = await client.enqueue(ingest, { path });
    const [status] = await settle(client, [handle.id], timeoutMs, what);
    return status!;
  }

  test('a PDF inflating to 1 GiB fails its own job once; the worker stays under the limit plus its idle size', {
    timeout: 180_000,
  }, async () => {
    const bomb = join(root, 'bomb.pdf');
    execFileSync('python3', [BOMB_SCRIPT, bomb, '1024']);
    // Idle size: after start-up (the worker warms its extraction thread) and one document.
    const warm = join(root, 'warm.txt');
    writeFileSync(warm, 'Warm-up text: a short document that loads the extraction thread.\n');
    assert.equal((await ingestOne(warm, 'the warm-up text')).state, 'completed');
    const idleSamples: number[] = [];
    for (let i = 0; i < 10; i++) {
      idleSamples.push(rssBytes(worker.pid)!);
      await sleep(50);
    }
    const idle = Math.max(...idleSamples);

    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, rssBytes(worker.pid) ?? 0);
        await sleep(5);
      }
    })();
    const started = Date.now();
    const status = await ingestOne(bomb, 'the bomb', 120_000);
    const ms = Date.now() - started;
    await sleep(200);
    sampling = false;
    await sampler;

    console.log(
      `bomb (${statSync(bomb).size} bytes, inflates to 1 GiB): ${status.state} in ${ms} ms, "${status.failedReason}"; worker RSS idle ${mib(idle)}, peak ${mib(peak)} (limit ${MEMORY_LIMIT_MB} MiB)`,
    );
    assert.equal(status.state, 'failed');
    assert.match(
      status.failedReason ?? '',
      new RegExp(`more than ${MEMORY_LIMIT_MB} MB of memory \\(LANES_EXTRACT_MEMORY_MB\\)`),
    );
    assert.equal(status.attemptsMade, 1, 'not retried');
    assert.ok(
      peak < idle + MEMORY_LIMIT_MB * 1024 * 1024,
      `peak RSS ${mib(peak)} over idle ${mib(idle)} + ${MEMORY_LIMIT_MB} MiB`,
    );
    assert.equal(worker.process.exitCode, null, 'the worker is still up');
    assert.equal((await ingestOne(warm, 'the warm-up text again')).state, 'completed');
  });

  test('text beyond LANES_MAX_TEXT_CHARS fails the document, for PDFs and for text files', {
    timeout: 120_000,
  }, async () => {
    const manual = join(root, 'manual.pdf');
    copyFileSync(REAL_PDFS[0]!, manual);
    const pdf = await ingestOne(manual, 'the 36-page manual');
    assert.equal(pdf.state, 'failed');
    assert.match(
      pdf.failedReason ?? '',
      new RegExp(`more than ${MAX_TEXT_CHARS} characters of text \\(LANES_MAX_TEXT_CHARS\\)`),
    );
    const long = join(root, 'long.txt');
    writeFileSync(long, 'Twenty-five characters. '.repeat(2000));
    const text = await ingestOne(long, 'the long text');
    assert.equal(text.state, 'failed');
    assert.match(text.failedReason ?? '', /LANES_MAX_TEXT_CHARS/);
    assert.equal(text.attemptsMade, 1);
  });
});
