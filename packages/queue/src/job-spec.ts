import { createHash, randomUUID } from 'node:crypto';
import type { Job, JobsOptions } from 'bullmq';
import { parsePayload, type AnyTaskContract, type Lane, type PayloadOf, definedOnly } from '@lanes/contracts';
import { DEFAULT_REMOVE_ON_COMPLETE, DEFAULT_REMOVE_ON_FAIL } from './retention.ts';
import { parseEnqueueOptions, type EnqueueOptions } from './enqueue-options.ts';

const NO_OPTIONS: EnqueueOptions = Object.freeze({});

/** Links a child job to its parent (BullMQ flows): the parent waits for it. */
export interface ParentLink {
  id: string;
  lane: Lane;
  /** The prefixed queue key of the parent's lane, as BullMQ expects it. */
  queueKey: string;
}

/** Everything needed to add one job to a lane, built once for client and worker alike. */
export interface JobSpec {
  lane: Lane;
  name: string;
  data: unknown;
  opts: JobsOptions & { jobId: string; tenant?: string };
}

/** The tenant a job was enqueued for (BullMQ keeps unknown options as they were given). */
export function tenantOf(job: Job): string | undefined {
  const tenant = (job.opts as { tenant?: unknown }).tenant;
  return typeof tenant === 'string' ? tenant : undefined;
}

/** Ids are derived from the idempotency key when there is one, random otherwise. */
export function jobIdFor(task: string, idempotencyKey: string | undefined): string {
  if (idempotencyKey === undefined) return randomUUID();
  return `idem-${createHash('sha256').update(task).update('\0').update(idempotencyKey).digest('hex').slice(0, 40)}`;
}

/**
 * Validates payload and options (InvalidPayloadError / InvalidOptionsError naming each bad field, before any I/O)
 * and turns contract plus options into BullMQ's add() arguments.
 */
export function buildJobSpec<C extends AnyTaskContract>(
  contract: C,
  payload: PayloadOf<C>,
  options: EnqueueOptions = NO_OPTIONS,
  parent?: ParentLink,
): JobSpec {
  const data = parsePayload(contract, payload);
  // Most enqueues pass no options: skip the schema for them on this hot path.
  if (options !== NO_OPTIONS) parseEnqueueOptions(options);
  const { retry } = contract;
  const opts: JobSpec['opts'] = {
    jobId: jobIdFor(contract.name, options.idempotencyKey),
    attempts: options.attempts ?? retry.attempts,
    backoff: { type: 'exponential', delay: retry.backoffMs, jitter: retry.jitter },
    removeOnComplete: DEFAULT_REMOVE_ON_COMPLETE,
    removeOnFail: DEFAULT_REMOVE_ON_FAIL,
    ...(options.delayMs !== undefined && options.delayMs > 0 && { delay: options.delayMs }),
    ...definedOnly({ priority: options.priority }),
    ...definedOnly({ tenant: options.tenant }),
    ...(parent !== undefined && {
      parent: { id: parent.id, queue: parent.queueKey },
      failParentOnFailure: true,
    }),
  };
  return { lane: options.lane ?? contract.lane, name: contract.name, data, opts };
}
