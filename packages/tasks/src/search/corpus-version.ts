import { RagRedisAdapter } from '../redis-keys.ts';

/**
 * A counter bumped whenever the searchable corpus changes (an ingest promoted new chunks, an
 * index was rebuilt). It is part of every result-cache key, so bumping it invalidates all
 * cached results at once without scanning for keys; the old entries expire on their TTL.
 */
export class CorpusVersion extends RagRedisAdapter {
  async current(): Promise<string> {
    return (await this.redis.get(this.keys.corpusVersion)) ?? '0';
  }

  async bump(): Promise<string> {
    return String(await this.redis.incr(this.keys.corpusVersion));
  }
}
