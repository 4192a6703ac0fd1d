/**
 * One "worker process" for the cross-process rate budget test: waits for "go" on stdin, then
 * embeds REQUESTS distinct texts, one provider request each, CONCURRENCY at a time, through the
 * real embedder (cache, single-flight, shared Redis budget). Prints one JSON line when done.
 */
import { createInterface } from 'node:readline';
import { createHash } from 'node:crypto';
import { LanesMetrics } from '@lanes/worker-core';
import { createRagRuntime } from '@lanes/tasks';

const requests = Number(process.env.REQUESTS ?? 10);
const concurrency = Number(process.env.CONCURRENCY ?? 4);
const label = process.env.HAMMER_LABEL ?? String(process.pid);
const rag = await createRagRuntime({ metrics: new LanesMetrics({ defaultMetrics: false }) });
const { embedder } = await rag.embedding();
process.stdout.write('ready\n');
await new Promise<void>((resolve) => {
  const lines = createInterface({ input: process.stdin });
  lines.once('line', () => {
    // Let go of stdin, or the open pipe keeps this process alive after the work.
    lines.close();
    process.stdin.destroy();
    resolve();
  });
});

const started = Date.now();
let next = 0;
const texts = Array.from({ length: requests }, (_, i) => `hammer ${label} text ${i} ${started}`);
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (next < texts.length) {
      const text = texts[next++]!;
      await embedder.embed([{ hash: createHash('sha256').update(text).digest('hex'), text }]);
    }
  }),
);
process.stdout.write(`${JSON.stringify({ label, requests, ms: Date.now() - started })}\n`);
await rag.close();
