import { Worker } from 'node:worker_threads';
import { EmbeddingUnavailableError } from '@lanes/contracts';

export interface ModelThreadsOptions {
  /** Module exporting `exportName(input)`, run inside the threads; it loads its model on first call. */
  readonly moduleUrl: URL;
  readonly exportName: string;
  /** Threads at most; they start on demand, so a process that never asks starts none. */
  readonly size: number;
  readonly maxHeapMb: number;
}

interface Task<I, O> {
  readonly input: I;
  readonly signal: AbortSignal | undefined;
  settled: boolean;
  onAbort: (() => void) | undefined;
  resolve(value: O): void;
  reject(error: unknown): void;
}

interface Thread<I, O> {
  readonly worker: Worker;
  task: Task<I, O> | undefined;
}

type Reply<O> = { ok: true; value: O } | { ok: false; message: string };

const BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
const loaded = import(workerData.moduleUrl);
parentPort.on('message', async (input) => {
  try {
    const mod = await loaded;
    parentPort.postMessage({ ok: true, value: await mod[workerData.exportName](input) });
  } catch (error) {
    parentPort.postMessage({ ok: false, message: error && error.message ? error.message : String(error) });
  }
});
`;

/**
 * Long-lived threads for a CPU-bound model, so inference never blocks the event loop that
 * renews job locks. Unlike the extraction pool, threads are kept for the life of the process
 * (loading a model costs more than a document's parse) and hold no memory limit of their own
 * beyond the heap cap. An aborted call returns at once; its thread finishes the slice it is on.
 */
export class ModelThreads<I, O> {
  readonly #options: ModelThreadsOptions;
  readonly #threads = new Set<Thread<I, O>>();
  readonly #queue: Task<I, O>[] = [];
  #closed = false;

  constructor(options: ModelThreadsOptions) {
    this.#options = options;
  }

  /** Threads running now (none until the first call). */
  get started(): number {
    return this.#threads.size;
  }

  run(input: I, signal?: AbortSignal): Promise<O> {
    if (this.#closed) return Promise.reject(new EmbeddingUnavailableError('model threads are closed'));
    signal?.throwIfAborted();
    return new Promise<O>((resolve, reject) => {
      const task: Task<I, O> = { input, signal, settled: false, onAbort: undefined, resolve, reject };
      task.onAbort = () => {
        const at = this.#queue.indexOf(task);
        if (at >= 0) this.#queue.splice(at, 1);
        settle(task, () => reject(signal?.reason));
      };
      signal?.addEventListener('abort', task.onAbort, { once: true });
      this.#queue.push(task);
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let thread = [...this.#threads].find((candidate) => candidate.task === undefined);
      if (thread === undefined && this.#threads.size < this.#options.size) thread = this.#spawn();
      if (thread === undefined) return;
      const task = this.#queue.shift()!;
      thread.task = task;
      thread.worker.ref();
      thread.worker.postMessage(task.input);
    }
  }

  #spawn(): Thread<I, O> {
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: { moduleUrl: String(this.#options.moduleUrl), exportName: this.#options.exportName },
      resourceLimits: { maxOldGenerationSizeMb: this.#options.maxHeapMb },
    });
    const thread: Thread<I, O> = { worker, task: undefined };
    let crash: string | undefined;
    worker.on('message', (reply: Reply<O>) => {
      const task = thread.task;
      thread.task = undefined;
      worker.unref();
      if (task !== undefined) {
        settle(task, () =>
          reply.ok
            ? task.resolve(reply.value)
            : task.reject(new EmbeddingUnavailableError(`local model failed: ${reply.message}`)),
        );
      }
      this.#dispatch();
    });
    worker.on('error', (error: Error & { code?: string }) => {
      crash =
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `ran out of memory (limit ${this.#options.maxHeapMb} MB)`
          : error.message;
    });
    worker.on('exit', (code) => {
      this.#threads.delete(thread);
      const task = thread.task;
      if (task !== undefined)
        settle(task, () =>
          task.reject(new EmbeddingUnavailableError(`local model thread ${crash ?? `exited with code ${code}`}`)),
        );
      if (!this.#closed) this.#dispatch();
    });
    this.#threads.add(thread);
    return thread;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const task of this.#queue.splice(0))
      settle(task, () => task.reject(new EmbeddingUnavailableError('model threads closed')));
    await Promise.all([...this.#threads].map((thread) => thread.worker.terminate()));
  }
}

/** Settles a task once: a reply after an abort (or the other way round) is dropped. */
function settle<I, O>(task: Task<I, O>, action: () => void): void {
  if (task.settled) return;
  task.settled = true;
  if (task.onAbort !== undefined) task.signal?.removeEventListener('abort', task.onAbort);
  action();
}
