import { createHash, randomUUID } from 'node:crypto';
import type { JobsOptions } from 'bullmq';
import { parsePayload, type AnyTaskContract, type Lane, type PayloadOf } from '@lanes/contracts';
import { DEFAULT_REMOVE_ON_COMPLETE, DEFAULT_REMOVE_ON_FAIL } from './retention.ts';

export interface EnqueueOptions {
  /** Send to another lane than the task's home lane. */
  lane?: Lane;
  /** Start no earlier than this many milliseconds from now. */
  delayMs?: number;
  /** Priority within the lane: 1 is most urgent. Jobs without priority go first (FIFO). */
  priority?: number;
  /** The same key for the same task always yields the same job, never a duplicate. */
  idempotencyKey?: string;
  /** Overrides the contract's attempts. */
  attempts?: number;
}

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
  opts: JobsOptions & { jobId: string };
}

export const MAX_PRIORITY = 2_097_152;

/** Ids are derived from the idempotency key when there is one, random otherwise. */
export function jobIdFor(task: string, idempotencyKey: string | undefined): string {
  if (idempotencyKey === undefined) return randomUUID();
  return `idem-${createHash('sha256').update(task).update('\0').update(idempotencyKey).digest('hex').slice(0, 40)}`;
}

/**
 * Validates the payload (throwing InvalidPayloadError naming each bad field, before any I/O)
 * and turns contract plus options into BullMQ's add() arguments.
 */
export function buildJobSpec<C extends AnyTaskContract>(
  contract: C,
  payload: PayloadOf<C>,
  options: EnqueueOptions = {},
  parent?: ParentLink,
): JobSpec {
  const data = parsePayload(contract, payload);
  if (options.priority !== undefined && (!Number.isInteger(options.priority) || options.priority < 1 || options.priority > MAX_PRIORITY)) {
    throw new RangeError(`options.priority must be an integer in 1..${MAX_PRIORITY}`);
  }
  if (options.delayMs !== undefined && !(options.delayMs >= 0)) throw new RangeError('options.delayMs must be >= 0');
  const { retry } = contract;
  const opts: JobSpec['opts'] = {
    jobId: jobIdFor(contract.name, options.idempotencyKey),
    attempts: options.attempts ?? retry.attempts,
    backoff: { type: 'exponential', delay: retry.backoffMs, jitter: retry.jitter },
    removeOnComplete: DEFAULT_REMOVE_ON_COMPLETE,
    removeOnFail: DEFAULT_REMOVE_ON_FAIL,
    ...(options.delayMs !== undefined && options.delayMs > 0 && { delay: options.delayMs }),
    ...(options.priority !== undefined && { priority: options.priority }),
    ...(parent !== undefined && {
      parent: { id: parent.id, queue: parent.queueKey },
      failParentOnFailure: true,
    }),
  };
  return { lane: options.lane ?? contract.lane, name: contract.name, data, opts };
}
