import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import { LanesMetrics } from '@lanes/worker-core';
import { createRagRuntime } from '@lanes/tasks';

export interface CacheLatency {
  readonly hitMs: number[];
  readonly missMs: number[];
  /** A plain GET of a value of the same size: the floor any Redis-backed cache sits on. */
  readonly redisGetMs: number[];
}

function item(text: string): { hash: string; text: string } {
  return { hash: createHash('sha256').update(text).digest('hex'), text };
}

/** Latency of Embedder.embed for one text: cached (hit), new (miss: one provider request), and a raw GET. */
export async function measureCacheLatency(
  env: Record<string, string>,
  samples: number,
  misses: number,
): Promise<CacheLatency> {
  const rag = await createRagRuntime({ env, metrics: new LanesMetrics({ defaultMetrics: false }) });
  const { embedder } = await rag.embedding();
  const redis = new Redis(env.REDIS_URL ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 2 });
  const key = `{${env.LANES_PREFIX}}:bench:get-floor`;
  try {
    const missMs: number[] = [];
    for (let i = 0; i < misses; i++) {
      const startedAt = performance.now();
      await embedder.embed([item(`cache latency miss ${env.LANES_PREFIX} ${i}`)]);
      missMs.push(performance.now() - startedAt);
    }
    const hot = item(`cache latency hit ${env.LANES_PREFIX}`);
    const first = await embedder.embed([hot]);
    const vector = first.vectors.get(hot.hash)?.vector;
    await redis.set(key, Buffer.from(vector?.buffer ?? new ArrayBuffer(1024)), 'EX', 600);
    const hitMs: number[] = [];
    const redisGetMs: number[] = [];
    for (let i = 0; i < samples; i++) {
      let startedAt = performance.now();
      const outcome = await embedder.embed([hot]);
      hitMs.push(performance.now() - startedAt);
      if (outcome.cacheHits !== 1) throw new Error('expected a cache hit on the warmed text');
      startedAt = performance.now();
      await redis.getBuffer(key);
      redisGetMs.push(performance.now() - startedAt);
    }
    return { hitMs, missMs, redisGetMs };
  } finally {
    redis.disconnect();
    await rag.close();
  }
}
