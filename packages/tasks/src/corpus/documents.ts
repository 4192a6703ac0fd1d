import { Job } from 'bullmq';
import { isLane, type JobState, type Lane } from '@lanes/contracts';
import { toJobStatus } from '@lanes/queue';
import type { LanesClient } from '@lanes/client';
import type { DocumentJobs, IngestJobRef } from './document-jobs.ts';
import type {
  DeleteOutcome,
  DocumentCatalog,
  DocumentListFilter,
  StoredDocument,
  TenantCorpus,
} from '../store/document-catalog.ts';

/** `failed`: the document's newest ingest failed (an older version may still be searchable). */
export type DocumentState = 'ready' | 'pending' | 'failed';

/** The document's newest ingest job, while retention keeps it. */
export interface LastIngestJob {
  readonly id: string;
  readonly queue: Lane;
  readonly state: JobState;
  readonly failedReason: string | null;
  /** The job's progress (pages parsed, chunks embedded) as the ingest task reports it. */
  readonly progress: unknown;
  readonly finishedAt: string | null;
}

/** One entry of the `documents` JSON shape (CONTRACT.md), with `lastJob` added. */
export interface DocumentView extends Omit<StoredDocument, 'state'> {
  readonly state: DocumentState;
  readonly lastJob: LastIngestJob | null;
}

export interface DeleteBySourceOutcome extends DeleteOutcome {
  /** Sources given that name no document. */
  readonly unknown: readonly string[];
}

export interface CorpusDocumentsOptions {
  readonly catalog: DocumentCatalog;
  readonly jobs: DocumentJobs;
  /** Looks the jobs up in their lanes. */
  readonly client: LanesClient;
}

function stateOf(stored: StoredDocument, job: LastIngestJob | null): DocumentState {
  if (job === null) return stored.state;
  if (job.state === 'failed') return 'failed';
  if (job.state === 'active' || job.state === 'waiting' || job.state === 'delayed') return 'pending';
  return stored.state;
}

/**
 * The corpus as the CLI and the dashboard show it: stored documents joined with their newest
 * ingest job (DocumentJobs, recorded by the ingest task), and deletion by id or source.
 */
export class CorpusDocuments {
  readonly #options: CorpusDocumentsOptions;

  constructor(options: CorpusDocumentsOptions) {
    this.#options = options;
  }

  async list(filter: DocumentListFilter = {}): Promise<DocumentView[]> {
    const stored = await this.#options.catalog.list(filter);
    if (stored.length === 0) return [];
    const refs = await this.#options.jobs.of(stored);
    const jobs = await Promise.all(refs.map((ref) => this.#lastJob(ref)));
    return stored.map((doc, i) => ({ ...doc, state: stateOf(doc, jobs[i]!), lastJob: jobs[i]! }));
  }

  async #lastJob(ref: IngestJobRef | null): Promise<LastIngestJob | null> {
    if (ref === null) return null;
    const { lane, id } = ref;
    if (!isLane(lane)) return null;
    const queue = this.#options.client.queues.get(lane);
    const state = await queue.getJobState(id);
    if (state === 'unknown') return null;
    const job = await Job.fromId(queue, id);
    if (job === undefined) return null;
    const status = toJobStatus(job, lane, state);
    return {
      id,
      queue: lane,
      state: status.state,
      failedReason: status.failedReason,
      progress: status.progress,
      finishedAt: job.finishedOn === undefined ? null : new Date(job.finishedOn).toISOString(),
    };
  }

  /** Documents and chunks per tenant (null: of no tenant). */
  tenants(): Promise<TenantCorpus[]> {
    return this.#options.catalog.tenants();
  }

  async deleteByIds(ids: readonly string[]): Promise<DeleteOutcome> {
    const outcome = await this.#options.catalog.delete(ids);
    await this.#forgetJobs(outcome);
    return outcome;
  }

  /** Deletes the tenant's (null: no tenant's) documents with exactly these sources; unknown sources are reported, not an error. */
  async deleteBySources(sources: readonly string[], tenant: string | null): Promise<DeleteBySourceOutcome> {
    const found = await this.#options.catalog.list({ sources, tenant });
    const known = new Set(found.map((doc) => doc.source));
    const outcome = await this.deleteByIds(found.map((doc) => doc.id));
    return { ...outcome, unknown: sources.filter((source) => !known.has(source)) };
  }

  async #forgetJobs(outcome: DeleteOutcome): Promise<void> {
    await this.#options.jobs.forget(outcome.documents);
  }
}
