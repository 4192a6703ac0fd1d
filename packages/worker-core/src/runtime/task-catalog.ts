import type { Redis } from 'ioredis';
import type { TaskDefinition } from './task.ts';
import { RateBudget } from './rate-budget.ts';

/** The tasks a worker process runs, with their per-process concurrency counts and shared rate budgets. */
export class TaskCatalog {
  readonly #tasks = new Map<string, TaskDefinition>();
  readonly #inFlight = new Map<string, number>();
  readonly #budgets = new Map<string, RateBudget>();

  constructor(tasks: readonly TaskDefinition[], redis: Redis, prefix: string) {
    for (const task of tasks) {
      if (this.#tasks.has(task.name)) throw new TypeError(`task "${task.name}" is registered twice`);
      this.#tasks.set(task.name, task);
      if (task.rateLimit !== undefined) {
        this.#budgets.set(
          task.name,
          new RateBudget(redis, `${prefix}:rate:task:${task.name}`, {
            requests: { capacity: task.rateLimit.max, perMs: task.rateLimit.perMs },
          }),
        );
      }
    }
  }

  get(name: string): TaskDefinition | undefined {
    return this.#tasks.get(name);
  }

  names(): string[] {
    return [...this.#tasks.keys()];
  }

  /** Claims a per-process concurrency slot; false when the task is at its limit. */
  tryClaim(task: TaskDefinition): boolean {
    const running = this.#inFlight.get(task.name) ?? 0;
    if (task.concurrency !== undefined && running >= task.concurrency) return false;
    this.#inFlight.set(task.name, running + 1);
    return true;
  }

  release(task: TaskDefinition): void {
    this.#inFlight.set(task.name, Math.max(0, (this.#inFlight.get(task.name) ?? 1) - 1));
  }

  /** 0 when the task may start now under its shared rate limit, else the ms to wait. */
  async rateWait(task: TaskDefinition): Promise<number> {
    return (await this.#budgets.get(task.name)?.tryTake()) ?? 0;
  }
}
