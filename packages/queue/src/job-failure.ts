import type { Queue } from 'bullmq';
import { isSerializedError, LanesError, type SerializedError } from '@lanes/contracts';

/**
 * Field of a failed job's hash, beside BullMQ's failedReason (a message only): the failure as
 * `{ code, message, context }`, so a waiting client rebuilds the error's own class.
 */
const FAILURE_FIELD = 'lanesFailure';

interface HashCommands {
  hset(key: string, field: string, value: string): Promise<unknown>;
  hget(key: string, field: string): Promise<string | null>;
}

/** The ioredis client LanesClient gave the lane's queue (BullMQ's backend exposes it). */
async function redisOf(queue: Queue): Promise<HashCommands> {
  const client: unknown = await queue.getBackend().connection.client;
  const candidate = client as Partial<HashCommands> | null;
  if (typeof candidate?.hset !== 'function' || typeof candidate.hget !== 'function') {
    throw new LanesError('UNSUPPORTED_CLIENT', 'the lane queue is not backed by an ioredis-compatible client');
  }
  return candidate as HashCommands;
}

/** Written by the worker before it hands the failure to BullMQ, so it is there when the job is seen failed. */
export async function recordFailure(queue: Queue, jobId: string, failure: SerializedError): Promise<void> {
  const redis = await redisOf(queue);
  await redis.hset(queue.toKey(jobId), FAILURE_FIELD, JSON.stringify(failure));
}

/** The recorded failure of a failed job; undefined when BullMQ failed it itself (a child failed, it stalled too often). */
export async function readFailure(queue: Queue, jobId: string): Promise<SerializedError | undefined> {
  const redis = await redisOf(queue);
  const text = await redis.hget(queue.toKey(jobId), FAILURE_FIELD);
  if (text === null) return undefined;
  const value: unknown = JSON.parse(text);
  return isSerializedError(value) ? value : undefined;
}
