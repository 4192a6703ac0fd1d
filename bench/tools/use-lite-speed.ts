// How fast the use-lite local model embeds real chunks (the eval manuals, chunked as ingest
// does), per thread count, and how long the main event loop stalled meanwhile (the model runs
// in threads, so lock renewal keeps its timing). A diagnostic, not part of `pnpm bench`:
//   node bench/tools/use-lite-speed.ts [chunks] [threads...]
import { readdir, readFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { LanesMetrics } from '@lanes/worker-core';
import { chunkText, UseLiteEmbeddingProvider, type Chunk } from '@lanes/tasks';
import { EmbeddingMetrics } from '../../packages/tasks/src/embed/metrics.ts';

const count = Number(process.argv[2] ?? 64);
const threadCounts = process.argv.length > 3 ? process.argv.slice(3).map(Number) : [1, 2];
const docs = join(import.meta.dirname, '..', '..', 'eval', 'docs');
const chunks: Chunk[] = [];
for (const name of (await readdir(docs)).filter((file) => file.endsWith('.txt')).sort()) {
  chunks.push(...chunkText(await readFile(join(docs, name), 'utf8'), { maxTokens: 400, overlapTokens: 60 }));
}
// Spread over every manual, not the first one's opening.
const sample = Array.from(
  { length: Math.min(count, chunks.length) },
  (_, i) => chunks[Math.floor((i * chunks.length) / Math.min(count, chunks.length))]!,
);
const metrics = new EmbeddingMetrics(new LanesMetrics({ defaultMetrics: false }));
for (const threads of threadCounts) {
  const provider = new UseLiteEmbeddingProvider(threads, metrics);
  try {
    const loadStart = performance.now();
    // One slice of 16 texts per thread, so every thread has loaded the model before timing.
    const warmUp = Array.from({ length: 16 * threads }, (_, i) => `warm up ${i}`);
    await provider.embedBatch(
      warmUp,
      warmUp.map(() => 3),
      undefined,
    );
    const firstMs = performance.now() - loadStart;
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const started = performance.now();
    await provider.embedBatch(
      sample.map((chunk) => chunk.text),
      sample.map((chunk) => chunk.tokens),
      undefined,
    );
    const seconds = (performance.now() - started) / 1000;
    delay.disable();
    const tokens = sample.reduce((sum, chunk) => sum + chunk.tokens, 0);
    console.log(
      `threads ${threads}: ${sample.length} chunks (${Math.round(tokens / sample.length)} tokens each) in ${seconds.toFixed(1)} s = ${(sample.length / seconds).toFixed(1)} chunks/s; ` +
        `first call (model load, every thread) ${Math.round(firstMs)} ms; event loop delay max ${(delay.max / 1e6).toFixed(0)} ms; load average ${loadavg()[0]!.toFixed(1)}`,
    );
  } finally {
    await provider.close();
  }
}
