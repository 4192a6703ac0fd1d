import type { Lane } from '@lanes/contracts';
import { RagRedisAdapter } from '../redis-keys.ts';

/** A document's newest ingest job. */
export interface IngestJobRef {
  readonly lane: string;
  readonly id: string;
}

/** Which ingest job last worked on each source, so the corpus view can show its state. */
export class DocumentJobs extends RagRedisAdapter {
  async record(source: string, lane: Lane, jobId: string): Promise<void> {
    await this.redis.hset(this.keys.documentJobs, source, `${lane}:${jobId}`);
  }

  /** The newest job of each source, in order; null where none is recorded. */
  async of(sources: readonly string[]): Promise<Array<IngestJobRef | null>> {
    if (sources.length === 0) return [];
    const refs = await this.redis.hmget(this.keys.documentJobs, ...sources);
    return refs.map((ref) => {
      if (ref === null) return null;
      const colon = ref.indexOf(':');
      return { lane: ref.slice(0, colon), id: ref.slice(colon + 1) };
    });
  }

  async forget(sources: readonly string[]): Promise<void> {
    if (sources.length > 0) await this.redis.hdel(this.keys.documentJobs, ...sources);
  }
}
