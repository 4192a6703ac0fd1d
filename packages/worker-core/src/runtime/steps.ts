import { WaitingChildrenError, type Job } from 'bullmq';
import { LanesError, type Lane } from '@lanes/contracts';
import type { LanesClient } from '@lanes/client';
import { buildJobSpec, type JobSpec } from '@lanes/queue';
import { OUTAGE_KEY } from './outage.ts';
import type { ChildRequest, ChildResults } from './task.ts';

/**
 * Reserved job-data key: the handler's steps by name. A finished step holds its value; a
 * children step holds `spawned` from the moment it starts adding its children until they
 * have all completed. Kept across attempts, so a retry resumes after the last finished step.
 */
export const STEPS_KEY = '__lanesSteps';

type StepRecord = { readonly done: true; readonly value: unknown } | { readonly done: false };
type StepRecords = Readonly<Record<string, StepRecord>>;

function recordsOf(data: unknown): StepRecords {
  if (typeof data !== 'object' || data === null || !(STEPS_KEY in data)) return {};
  return (data as Record<string, unknown>)[STEPS_KEY] as StepRecords;
}

/**
 * Where versions before steps listed a parent's children: a parent suspended by one of them
 * resumes under this one as a fresh handler call (its steps run; its children are re-added).
 */
const LEGACY_CHILDREN_KEY = '__lanesChildren';

/** The user's payload, without the runtime's bookkeeping (steps, an outage being waited out). */
export function payloadOf(data: unknown): unknown {
  if (
    typeof data !== 'object' ||
    data === null ||
    !(STEPS_KEY in data || OUTAGE_KEY in data || LEGACY_CHILDREN_KEY in data)
  )
    return data;
  const {
    [STEPS_KEY]: _steps,
    [OUTAGE_KEY]: _outage,
    [LEGACY_CHILDREN_KEY]: _children,
    ...payload
  } = data as Record<string, unknown>;
  return payload;
}

/** Two steps of one handler under one name: the second would read the first one's value. */
export class DuplicateStepError extends LanesError {
  constructor(name: string) {
    super('DUPLICATE_STEP', `step "${name}" ran twice in one handler call: step names must be unique`, { step: name });
  }
}

/**
 * The steps of one handler call, memoised in the job's data (BullMQ's process-step pattern).
 * A step's function runs until its value is recorded and never again after that; a children
 * step suspends the job (WaitingChildrenError) until its children have completed, and on
 * re-entry returns their results. Everything with an effect belongs in a step: the code
 * between steps runs again on every re-entry.
 */
export class JobSteps {
  readonly #job: Job;
  readonly #token: string | undefined;
  readonly #client: LanesClient;
  readonly #lane: Lane;
  readonly #signal: AbortSignal;
  readonly #used = new Set<string>();
  #childSteps = 0;
  #writes: Promise<void> = Promise.resolve();

  constructor(job: Job, token: string | undefined, client: LanesClient, lane: Lane, signal: AbortSignal) {
    this.#job = job;
    this.#token = token;
    this.#client = client;
    this.#lane = lane;
    this.#signal = signal;
  }

  async step<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const record = this.#claim(name);
    if (record?.done === true) return record.value as T;
    const value = await fn();
    await this.#record(name, { done: true, value });
    // As a later entry will see it: a Date is a string, an undefined field absent, every time.
    return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
  }

  /** The values are what the children's handlers returned, so their contracts give their types. */
  async awaitChildren<const Children extends readonly ChildRequest[]>(
    children: Children,
    name = `children-${++this.#childSteps}`,
  ): Promise<ChildResults<Children>> {
    return (await this.#childValues(children, name)) as ChildResults<Children>;
  }

  async #childValues(children: readonly ChildRequest[], name: string): Promise<unknown[]> {
    const record = this.#claim(name);
    if (record?.done === true) return record.value as unknown[];
    if (children.length === 0) return [];
    const specs = this.#specsFor(children);
    if (record === undefined) {
      // Marked before the children exist: a crash in between leaves some missing, added below.
      await this.#record(name, { done: false });
      await this.#client.addSpecs(specs);
    }
    for (;;) {
      if (this.#token === undefined) {
        throw new LanesError('NO_LOCK_TOKEN', 'awaitChildren needs the job lock token to suspend the job', {
          jobId: this.#job.id,
        });
      }
      if (await this.#job.moveToWaitingChildren(this.#token)) throw new WaitingChildrenError();
      const values: Record<string, unknown> = await this.#job.getChildrenValues();
      const keyOf = (spec: JobSpec): string => `${this.#client.prefix}:${spec.lane}:${spec.opts.jobId}`;
      const missing = specs.filter((spec) => !(keyOf(spec) in values));
      if (missing.length === 0) {
        const results = specs.map((spec) => values[keyOf(spec)]);
        await this.#record(name, { done: true, value: results });
        return results;
      }
      await this.#client.addSpecs(missing);
    }
  }

  #claim(name: string): StepRecord | undefined {
    if (this.#used.has(name)) throw new DuplicateStepError(name);
    this.#used.add(name);
    return recordsOf(this.#job.data)[name];
  }

  /** Child job ids come from the parent's id and each child's key, so re-adding one is a no-op. */
  #specsFor(children: readonly ChildRequest[]): JobSpec[] {
    const parent = { id: this.#job.id ?? '', lane: this.#lane, queueKey: this.#client.queues.queueKey(this.#lane) };
    return children.map((request) =>
      buildJobSpec(
        request.contract,
        request.payload as never,
        { ...request.options, idempotencyKey: `child:${parent.id}:${request.key}` },
        parent,
      ),
    );
  }

  /**
   * One write at a time, each on top of the last, so steps run side by side keep both records
   * whatever order their writes would reach Redis in (not left to how BullMQ's updateData orders them).
   */
  #record(name: string, record: StepRecord): Promise<void> {
    const write = this.#writes.then(async () => {
      // An attempt stopped (timeout, cancellation, lost lock) records nothing more: the job is no longer its own.
      this.#signal.throwIfAborted();
      const data = this.#job.data as Record<string, unknown>;
      await this.#job.updateData({ ...data, [STEPS_KEY]: { ...recordsOf(data), [name]: record } });
    });
    this.#writes = write.catch(() => undefined);
    return write;
  }
}
