import type { z } from 'zod';
import {
  defineContract,
  type AnyTaskContract,
  type ContractSpec,
  type JobRef,
  type Lane,
  type ParsedPayloadOf,
  type PayloadOf,
  type ResultOf,
  type TaskContract,
  definedOnly,
} from '@lanes/contracts';
import type { EnqueueOptions } from '@lanes/queue';
import type { Logger } from '../observability/logger.ts';

/** A child job to spawn; `key` names it uniquely within its parent so a retry never spawns it twice. */
export interface ChildRequest<C extends AnyTaskContract = AnyTaskContract> {
  readonly contract: C;
  readonly payload: unknown;
  readonly key: string;
  readonly options?: EnqueueOptions;
}

export function child<C extends AnyTaskContract>(
  contract: C,
  payload: PayloadOf<C>,
  key: string,
  options?: EnqueueOptions,
): ChildRequest<C> {
  return { contract, payload, key, ...definedOnly({ options }) };
}

/** The results of `awaitChildren`, typed from each child's contract, in the order given. */
export type ChildResults<Children extends readonly ChildRequest[]> = {
  -readonly [K in keyof Children]: ResultOf<Children[K]['contract']>;
};

export interface JobInfo {
  readonly id: string;
  readonly task: string;
  readonly lane: Lane;
  /** 1 for the first attempt. */
  readonly attempt: number;
  /** The tenant it was enqueued for (options.tenant), if any. */
  readonly tenant: string | undefined;
}

/** The job that spawned this one with `awaitChildren`, as far as a child may touch it. */
export interface ParentJob {
  readonly id: string;
  readonly lane: Lane;
  /** Reports progress on the parent (e.g. a batch of its work done), as the parent's own `progress` would. */
  progress(value: number | Record<string, unknown>): Promise<void>;
}

export interface TaskContext {
  readonly job: JobInfo;
  /** Set for a child spawned by `awaitChildren`; undefined otherwise. */
  readonly parent: ParentJob | undefined;
  /** Fires on timeout, cancellation and drain deadline; long handlers should pass it down. */
  readonly signal: AbortSignal;
  readonly logger: Logger;
  progress(value: number | Record<string, unknown>): Promise<void>;
  /** Enqueues a follow-up job, validated against its contract. */
  enqueue<C extends AnyTaskContract>(contract: C, payload: PayloadOf<C>, options?: EnqueueOptions): Promise<JobRef>;
  /**
   * Runs `fn` once for this job and records its value (JSON) in the job: when the handler is
   * entered again (after its children, or on a retry), the step returns the recorded value
   * without running `fn`. Names are unique within a handler; every effect belongs in a step.
   */
  step<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /**
   * A step that spawns children and suspends this job until they have all completed, then
   * returns their results in the order given. A failed child fails the parent. The children
   * must be the same on every entry (derive them from payload and earlier steps); `name`
   * defaults to `children-N` for the N-th call in the handler.
   */
  awaitChildren<const Children extends readonly ChildRequest[]>(
    children: Children,
    name?: string,
  ): Promise<ChildResults<Children>>;
}

export type TaskHandler<C extends AnyTaskContract, Result> = (
  payload: ParsedPayloadOf<C>,
  ctx: TaskContext,
) => Promise<Result>;

/** A contract plus its handler: what a worker runs. It is itself a contract, so clients can enqueue it. */
export type TaskDefinition<C extends AnyTaskContract = AnyTaskContract> = C & {
  readonly handler: TaskHandler<C, unknown>;
};

/** Implements an existing contract (for contracts shared with a light client package). */
export function implement<C extends AnyTaskContract>(
  contract: C,
  handler: TaskHandler<C, ResultOf<C>>,
): TaskDefinition<C> {
  return Object.freeze({ ...contract, handler: handler as TaskHandler<C, unknown> });
}

/**
 * Defines a task in one place: contract and handler, the result type inferred from the handler.
 *
 *     export const resize = defineTask({ name: 'resize', lane: 'default', schema: z.object({ url: z.string() }),
 *       handler: async ({ url }, ctx) => ({ bytes: 0 }) });
 */
export function defineTask<const Name extends string, Schema extends z.ZodType, Result>(
  spec: ContractSpec<Name, Schema> & { handler: (payload: z.output<Schema>, ctx: TaskContext) => Promise<Result> },
): TaskDefinition<TaskContract<Name, Schema, Result>> {
  const { handler, ...contractSpec } = spec;
  const contract = defineContract<Result>()(contractSpec);
  return Object.freeze({ ...contract, handler: handler as TaskHandler<TaskContract<Name, Schema, Result>, unknown> });
}
