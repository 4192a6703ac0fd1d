import { Worker } from 'node:worker_threads';
import {
  ExtractionCrashedError,
  ExtractionMemoryError,
  ExtractionTimeoutError,
  LanesError,
  rebuildError,
  type SerializedError,
} from '@lanes/contracts';

/**
 * Long-lived worker threads for CPU-bound extraction. Like worker-core's `runIsolated` (heap
 * cap per thread, the thread killed when the job is aborted), but the threads are reused:
 * loading pdf.js and the tokenizer costs one to two seconds per fresh thread and pdf.js runs
 * about three times slower until the JIT has warmed up, so a thread per document made ingest
 * several times slower than pdf-parse alone (measured; see README). A thread is replaced
 * after it was killed, crashed or served `maxJobsPerThread` jobs, and idle threads exit.
 */
export interface ExtractionPoolOptions {
  /** Module exporting `exportName(input, report)`, run inside the threads. */
  readonly moduleUrl: URL;
  readonly exportName: string;
  /** Threads at most for any job; further jobs queue. */
  readonly size: number;
  /**
   * Threads beyond `size` that only small jobs may use, so a small job never waits behind
   * large ones that hold every other thread.
   */
  readonly reservedForSmall?: number;
  readonly maxHeapMb: number;
  /** V8's young generation per thread (semi-spaces); V8 sizes it from the heap cap if unset. */
  readonly maxYoungGenerationMb?: number;
  /**
   * Memory one thread may hold, V8 heap and buffers outside it (decoded PDF streams live in
   * ArrayBuffers the heap cap does not see); a thread over it is killed and its job fails.
   */
  readonly maxMemoryMb: number;
  /** A job still running after this long fails for good and its thread is killed. */
  readonly timeoutMs: number;
  readonly maxJobsPerThread?: number;
  readonly idleMs?: number;
}

/**
 * How often a busy thread's memory is read. A decompression bomb inflates at about 200 MB/s
 * here, so a sample every 10 ms overshoots by a few MB when samples arrive on time.
 */
const MEMORY_SAMPLE_MS = 10;
/**
 * The thread is stopped when its heap and external buffers reach this share of the limit: the
 * process holds more than those two count (allocator slack, buffers freed but not yet returned
 * to the system), and on a loaded machine a sample can arrive late. Measured: at the full limit
 * a bomb took the worker's RSS 24 % past idle + limit under load; at three quarters it stays under.
 */
const MEMORY_STOP_SHARE = 0.75;
const MIB = 1024 * 1024;
/** Errors leave a thread as `{ code, message, context }` and are rebuilt here as the same class. */
const ERRORS_URL = import.meta.resolve('@lanes/contracts');

interface Job<I, O, P> {
  readonly input: I;
  readonly small: boolean;
  readonly onProgress: ((progress: P) => void) | undefined;
  readonly signal: AbortSignal | undefined;
  resolve(value: O): void;
  reject(error: unknown): void;
}

interface Slot {
  readonly worker: Worker;
  /** Settles once the thread has loaded the module (or failed to). */
  readonly ready: Promise<void>;
  jobs: number;
  busy: boolean;
  /** Busy with a job that is not small. */
  large: boolean;
  idleTimer: NodeJS.Timeout | undefined;
}

type Reply<O, P> =
  | { kind: 'ready' }
  | { kind: 'progress'; progress: P }
  | { kind: 'done'; value: O }
  | { kind: 'error'; error: SerializedError };

const BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
const loaded = import(workerData.moduleUrl);
const errors = import(workerData.errorsUrl);
loaded.then(() => parentPort.postMessage({ kind: 'ready' }), () => parentPort.postMessage({ kind: 'ready' }));
parentPort.on('message', async (input) => {
  try {
    const mod = await loaded;
    const value = await mod[workerData.exportName](input, (progress) => parentPort.postMessage({ kind: 'progress', progress }));
    parentPort.postMessage({ kind: 'done', value });
  } catch (error) {
    const { serializeError } = await errors;
    parentPort.postMessage({ kind: 'error', error: serializeError(error, 'EXTRACTION_FAILED') });
  }
});
`;

export class ExtractionPool<I, O, P> {
  readonly #options: ExtractionPoolOptions;
  readonly #slots = new Set<Slot>();
  readonly #queue: Job<I, O, P>[] = [];
  #closed = false;

  constructor(options: ExtractionPoolOptions) {
    this.#options = options;
  }

  /** `small`: a job known to be cheap (a short text), which may use the reserved threads. */
  run(
    input: I,
    options: { signal?: AbortSignal; onProgress?: (progress: P) => void; small?: boolean } = {},
  ): Promise<O> {
    if (this.#closed) return Promise.reject(new LanesError('POOL_CLOSED', 'extraction pool is closed'));
    options.signal?.throwIfAborted();
    return new Promise<O>((resolve, reject) => {
      const job: Job<I, O, P> = {
        input,
        small: options.small === true,
        onProgress: options.onProgress,
        signal: options.signal,
        resolve,
        reject,
      };
      // A job aborted while still queued leaves the queue at once.
      options.signal?.addEventListener(
        'abort',
        () => {
          const at = this.#queue.indexOf(job);
          if (at >= 0) {
            this.#queue.splice(at, 1);
            reject(options.signal?.reason);
          }
        },
        { once: true },
      );
      this.#queue.push(job);
      this.#dispatch();
    });
  }

  #idle(slot: Slot): void {
    slot.worker.unref();
    clearTimeout(slot.idleTimer);
    slot.idleTimer = setTimeout(() => this.#retire(slot), this.#options.idleMs ?? 60_000);
    slot.idleTimer.unref();
  }

  /** Starts queued jobs in order, skipping large ones while `size` threads run large jobs. */
  #dispatch(): void {
    const capacity = this.#options.size + (this.#options.reservedForSmall ?? 0);
    let large = [...this.#slots].filter((slot) => slot.busy && slot.large).length;
    for (let at = 0; at < this.#queue.length; ) {
      const job = this.#queue[at]!;
      if (!job.small && large >= this.#options.size) {
        at++;
        continue;
      }
      let slot = [...this.#slots].find((candidate) => !candidate.busy);
      if (slot === undefined && this.#slots.size < capacity) slot = this.#spawn();
      if (slot === undefined) return;
      this.#queue.splice(at, 1);
      if (!job.small) large++;
      this.#start(slot, job);
    }
  }

  #spawn(): Slot {
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: {
        moduleUrl: String(this.#options.moduleUrl),
        exportName: this.#options.exportName,
        errorsUrl: ERRORS_URL,
      },
      resourceLimits: {
        maxOldGenerationSizeMb: this.#options.maxHeapMb,
        ...(this.#options.maxYoungGenerationMb !== undefined && {
          maxYoungGenerationSizeMb: this.#options.maxYoungGenerationMb,
        }),
      },
    });
    const ready = new Promise<void>((resolve) => {
      const onReady = (reply: Reply<unknown, unknown>): void => {
        if (reply.kind !== 'ready') return;
        worker.off('message', onReady);
        resolve();
      };
      worker.on('message', onReady);
      worker.once('exit', () => resolve());
    });
    const slot: Slot = { worker, ready, jobs: 0, busy: false, large: false, idleTimer: undefined };
    this.#slots.add(slot);
    return slot;
  }

  #retire(slot: Slot): void {
    if (!this.#slots.delete(slot)) return;
    clearTimeout(slot.idleTimer);
    slot.worker.removeAllListeners();
    // Listeners are gone: an error during termination must not become an uncaught one.
    slot.worker.on('error', () => undefined);
    void slot.worker.terminate();
  }

  #start(slot: Slot, job: Job<I, O, P>): void {
    const { worker } = slot;
    slot.busy = true;
    slot.large = !job.small;
    slot.jobs += 1;
    clearTimeout(slot.idleTimer);
    worker.ref();
    let settled = false;
    const timer = setTimeout(
      () =>
        fail(
          new ExtractionTimeoutError(
            `extraction took longer than ${this.#options.timeoutMs} ms (LANES_EXTRACT_TIMEOUT_MS)`,
          ),
        ),
      this.#options.timeoutMs,
    );
    // Read from outside: the thread may be inside one long synchronous decode. The statistics
    // are gathered by an interrupt in the thread, so they arrive even then.
    let sampling = false;
    const sampler = setInterval(() => {
      if (sampling) return;
      sampling = true;
      worker.getHeapStatistics().then(
        (stats) => {
          sampling = false;
          const usedMb = (stats.used_heap_size + stats.external_memory) / MIB;
          if (usedMb > this.#options.maxMemoryMb * MEMORY_STOP_SHARE) {
            fail(
              new ExtractionMemoryError(
                `extraction used more than ${this.#options.maxMemoryMb} MB of memory (LANES_EXTRACT_MEMORY_MB)`,
              ),
            );
          }
        },
        () => {
          sampling = false;
        },
      );
    }, MEMORY_SAMPLE_MS);
    sampler.unref();
    const cleanup = (): void => {
      settled = true;
      clearTimeout(timer);
      clearInterval(sampler);
      job.signal?.removeEventListener('abort', onAbort);
      worker.off('message', onMessage);
      worker.off('error', onError);
      worker.off('exit', onExit);
    };
    const release = (): void => {
      slot.busy = false;
      slot.large = false;
      if (slot.jobs >= (this.#options.maxJobsPerThread ?? 100) || this.#closed) this.#retire(slot);
      else this.#idle(slot);
      this.#dispatch();
    };
    const fail = (error: unknown): void => {
      if (settled) return;
      cleanup();
      this.#retire(slot);
      job.reject(error);
      this.#dispatch();
    };
    const onAbort = (): void => fail(job.signal?.reason);
    const onMessage = (reply: Reply<O, P>): void => {
      if (settled || reply.kind === 'ready') return;
      if (reply.kind === 'progress') {
        job.onProgress?.(reply.progress);
        return;
      }
      cleanup();
      if (reply.kind === 'done') job.resolve(reply.value);
      else job.reject(rebuildError(reply.error));
      release();
    };
    const onError = (error: Error & { code?: string }): void => {
      const reason =
        error.code === 'ERR_WORKER_OUT_OF_MEMORY'
          ? `ran out of memory (limit ${this.#options.maxHeapMb} MB, LANES_EXTRACT_HEAP_MB)`
          : error.message;
      fail(new ExtractionCrashedError(`extraction failed: ${reason}`));
    };
    const onExit = (code: number): void =>
      fail(new ExtractionCrashedError(`extraction thread exited with code ${code}`));
    job.signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', onMessage);
    worker.once('error', onError);
    worker.once('exit', onExit);
    worker.postMessage(job.input);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const job of this.#queue.splice(0)) job.reject(new LanesError('POOL_CLOSED', 'extraction pool closed'));
    await Promise.all([...this.#slots].filter((slot) => !slot.busy).map((slot) => this.#retire(slot)));
  }
}
