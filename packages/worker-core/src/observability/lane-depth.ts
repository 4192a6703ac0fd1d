import type { Queue } from 'bullmq';
import { LANES, type Lane } from '@lanes/contracts';

export const DEPTH_STATES = [
  'waiting',
  'prioritized',
  'delayed',
  'active',
  'failed',
  'completed',
  'waiting-children',
] as const;
export type DepthState = (typeof DEPTH_STATES)[number];

export interface LaneDepth {
  readonly lane: Lane;
  readonly counts: Readonly<Record<DepthState, number>>;
  /** waiting + prioritized + delayed: the real backlog (the wait list alone under-counts it). */
  readonly backlog: number;
}

export async function readLaneDepth(lane: Lane, queue: Queue): Promise<LaneDepth> {
  const raw = await queue.getJobCounts(...DEPTH_STATES);
  const counts = Object.fromEntries(DEPTH_STATES.map((state) => [state, raw[state] ?? 0])) as Record<
    DepthState,
    number
  >;
  return { lane, counts, backlog: counts.waiting + counts.prioritized + counts.delayed };
}

export async function readAllLaneDepths(queueFor: (lane: Lane) => Queue): Promise<LaneDepth[]> {
  return Promise.all(LANES.map((lane) => readLaneDepth(lane, queueFor(lane))));
}
