/** A value built on first use and shared afterwards; a build that failed is tried again on the next use. */
export interface Lazy<T> {
  get(): Promise<T>;
  /** The value when it was built (or is being built), else undefined: for closing only what was opened. */
  built(): Promise<T | undefined>;
}

export function lazy<T>(build: () => Promise<T>): Lazy<T> {
  let pending: Promise<T> | undefined;
  return {
    get() {
      pending ??= build().catch((error: unknown) => {
        pending = undefined;
        throw error;
      });
      return pending;
    },
    built: () => (pending === undefined ? Promise.resolve(undefined) : pending.catch(() => undefined)),
  };
}
