import type { Lane } from '@lanes/contracts';
import { documentJobField, RagRedisAdapter } from '../redis-keys.ts';

/** A document's newest ingest job. */
export interface IngestJobRef {
  readonly lane: string;
  readonly id: string;
}

/** A document as the job record names it: its tenant (null or undefined: none) and source. */
export interface DocumentRef {
  readonly tenant: string | null | undefined;
  readonly source: string;
}

/** Which ingest job last worked on each document, so the corpus view can show its state. */
export class DocumentJobs extends RagRedisAdapter {
  async record(document: DocumentRef, lane: Lane, jobId: string): Promise<void> {
    await this.redis.hset(
      this.keys.documentJobs,
      documentJobField(document.tenant, document.source),
      `${lane}:${jobId}`,
    );
  }

  /** The newest job of each document, in order; null where none is recorded. */
  async of(documents: readonly DocumentRef[]): Promise<Array<IngestJobRef | null>> {
    if (documents.length === 0) return [];
    const refs = await this.redis.hmget(
      this.keys.documentJobs,
      ...documents.map((doc) => documentJobField(doc.tenant, doc.source)),
    );
    return refs.map((ref) => {
      if (ref === null) return null;
      const colon = ref.indexOf(':');
      return { lane: ref.slice(0, colon), id: ref.slice(colon + 1) };
    });
  }

  async forget(documents: readonly DocumentRef[]): Promise<void> {
    if (documents.length > 0)
      await this.redis.hdel(
        this.keys.documentJobs,
        ...documents.map((doc) => documentJobField(doc.tenant, doc.source)),
      );
  }
}
