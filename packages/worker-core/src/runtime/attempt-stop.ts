import type { Stoppable } from './job-leases.ts';

/**
 * How one attempt is stopped (its deadline, a lost lock, cancellation, the drain deadline): the
 * handler's AbortSignal, made only when the handler reads it, and the handler's promise cut off
 * at the stop. Cheaper on the per-job path than an AbortController with an abort listener and a
 * Promise.race for every job, most of which never stop early.
 */
export class AttemptStop implements Stoppable {
  #controller: AbortController | undefined;
  #reason: Error | undefined;
  #reject: ((reason: Error) => void) | undefined;

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#reason !== undefined) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Settles with `work`, or rejects with the stop's reason as soon as the attempt is stopped. */
  cutOff<T>(work: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#reason !== undefined) {
        reject(this.#reason);
        return;
      }
      this.#reject = reject;
      work.then(resolve, reject);
    });
  }

  /** The first stop wins; later ones are ignored. */
  abort(reason: Error): void {
    if (this.#reason !== undefined) return;
    this.#reason = reason;
    this.#controller?.abort(reason);
    this.#reject?.(reason);
  }
}
