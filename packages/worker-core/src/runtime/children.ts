import type { Job } from 'bullmq';
import type { Lane } from '@lanes/contracts';
import { OUTAGE_KEY } from './outage.ts';

/** Reserved job-data key listing the children a parent spawned, in order. */
export const CHILDREN_KEY = '__lanesChildren';

export interface ChildRef {
  readonly lane: Lane;
  readonly id: string;
}

export function childRefsOf(data: unknown): readonly ChildRef[] | undefined {
  if (typeof data !== 'object' || data === null || !(CHILDREN_KEY in data)) return undefined;
  return (data as Record<string, unknown>)[CHILDREN_KEY] as ChildRef[];
}

/** The user's payload, without the runtime's bookkeeping (children, an outage being waited out). */
export function payloadOf(data: unknown): unknown {
  if (typeof data !== 'object' || data === null || !(CHILDREN_KEY in data || OUTAGE_KEY in data)) return data;
  const { [CHILDREN_KEY]: _children, [OUTAGE_KEY]: _outage, ...payload } = data as Record<string, unknown>;
  return payload;
}

/**
 * Results of the children, in spawn order, or undefined when some child is not accounted for
 * (the previous attempt died between recording and adding them): then the handler runs afresh.
 */
export async function collectChildResults(job: Job, prefix: string, refs: readonly ChildRef[]): Promise<unknown[] | undefined> {
  const values: Record<string, unknown> = await job.getChildrenValues();
  const results: unknown[] = [];
  for (const ref of refs) {
    const key = `${prefix}:${ref.lane}:${ref.id}`;
    if (!(key in values)) return undefined;
    results.push(values[key]);
  }
  return results;
}
