import { RagRedisAdapter } from '../redis-keys.ts';

/** An ingest's embedding totals, as its batch-embed children add to them. */
export interface EmbeddingTally {
  readonly embedded: number;
  readonly total: number;
  readonly pages: number;
}

/** Kept a day at most: an ingest that never finishes must not leave its tally behind for good. */
const TALLY_TTL_S = 24 * 3600;

/**
 * "Chunks embedded" of one ingest across its children, in Redis: the children run in any
 * process, and each adds its share to the parent's tally.
 */
export class IngestProgress extends RagRedisAdapter {
  async start(ingestJobId: string, total: number, pages: number): Promise<void> {
    const key = this.keys.ingestProgress(ingestJobId);
    await this.redis.multi().hset(key, { total, pages, embedded: 0 }).expire(key, TALLY_TTL_S).exec();
  }

  /** Adds `done` chunks to the ingest's tally and returns it. */
  async add(ingestJobId: string, done: number): Promise<EmbeddingTally> {
    const key = this.keys.ingestProgress(ingestJobId);
    const [embedded = 0, total = 0, pages = 0] = await this.redis
      .multi()
      .hincrby(key, 'embedded', done)
      .hget(key, 'total')
      .hget(key, 'pages')
      .exec()
      .then((replies) => (replies ?? []).map(([, value]) => Number(value ?? 0)));
    return { embedded: Math.min(embedded, total), total, pages };
  }

  async clear(ingestJobId: string): Promise<void> {
    await this.redis.del(this.keys.ingestProgress(ingestJobId));
  }
}
