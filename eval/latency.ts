/**
 * Latency of each search mode over the eval questions (two rounds, result cache bypassed), against
 * whatever the environment's LANES_PG_SCHEMA holds. Usage: node eval/latency.ts
 */
import { readFile } from 'node:fs/promises';
import { createRagReader, parseEvalFile } from '@lanes/tasks';
const { cases } = parseEvalFile(await readFile('eval/questions.jsonl', 'utf8'));
const service = createRagReader();
for (const mode of ['lexical', 'vector', 'hybrid'] as const) {
  const times: number[] = [];
  for (const round of [0, 1])
    for (const c of cases) {
      const t = performance.now();
      await service.search(c.query, 10, { mode, record: false, bm25: { k1: 1.2 + round * 1e-9 } });
      times.push(performance.now() - t);
    }
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!.toFixed(1);
  console.log(mode, 'p50', q(0.5), 'p95', q(0.95), 'max', q(1));
}
await service.close();
