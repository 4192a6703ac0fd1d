import { Worker } from 'node:worker_threads';
import { definedOnly, IsolateCrashedError, rebuildError, type SerializedError } from '@lanes/contracts';

export interface IsolationOptions {
  readonly signal?: AbortSignal;
  /** Heap cap for the thread: a runaway document fails its own job, not the process. */
  readonly maxHeapMb?: number;
  readonly transferList?: ArrayBuffer[];
}

/** Errors leave the thread as `{ code, message, context }` and are rebuilt here as the same class. */
const ERRORS_URL = import.meta.resolve('@lanes/contracts');

const BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
import(workerData.moduleUrl)
  .then((mod) => mod[workerData.exportName](workerData.input))
  .then(
    (value) => parentPort.postMessage({ ok: true, value }),
    async (error) => {
      const { serializeError } = await import(workerData.errorsUrl);
      parentPort.postMessage({ ok: false, error: serializeError(error, 'ISOLATE_FAILED') });
    },
  );
`;

/**
 * Runs `export function <exportName>(input)` of a module in a fresh worker thread, so CPU-bound
 * work (PDF parsing) never blocks the event loop that renews job locks. The thread is killed
 * when the signal aborts, and its heap is capped.
 */
export function runIsolated<Input, Output>(
  moduleUrl: URL | string,
  exportName: string,
  input: Input,
  options: IsolationOptions = {},
): Promise<Output> {
  const { signal, maxHeapMb = 512, transferList } = options;
  signal?.throwIfAborted();
  return new Promise<Output>((resolve, reject) => {
    const worker = new Worker(BOOTSTRAP, {
      eval: true,
      workerData: { moduleUrl: String(moduleUrl), exportName, input, errorsUrl: ERRORS_URL },
      resourceLimits: { maxOldGenerationSizeMb: maxHeapMb },
      ...definedOnly({ transferList }),
    });
    let settled = false;
    const finish = (action: () => void): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      action();
      void worker.terminate();
    };
    const onAbort = (): void => finish(() => reject(signal?.reason));
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (message: { ok: true; value: Output } | { ok: false; error: SerializedError }) => {
      finish(() => (message.ok ? resolve(message.value) : reject(rebuildError(message.error))));
    });
    worker.once('error', (error: Error & { code?: string }) => {
      const reason =
        error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `ran out of memory (limit ${maxHeapMb} MB)` : error.message;
      finish(() => reject(new IsolateCrashedError(`isolated ${exportName} failed: ${reason}`, { exportName })));
    });
    worker.once('exit', (code) =>
      finish(() => reject(new IsolateCrashedError(`isolated ${exportName} exited with code ${code}`, { exportName }))),
    );
  });
}
