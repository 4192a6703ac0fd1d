import type { Logger } from 'pino';

export const DEFAULT_REPEAT_WINDOW_MS = 30_000;

interface Entry {
  readonly level: 'warn' | 'error';
  readonly fields: Readonly<Record<string, unknown>>;
  readonly message: string;
  repeats: number;
}

/**
 * Collapses identical log lines (same level, message and fields): the first is written at
 * once, the repeats within a window become one line with their count at the window's end. A
 * Redis outage makes every lane's connection fail several times a second; without this the
 * log holds hundreds of identical lines a minute and nothing else can be read in it.
 */
export class RepeatedErrorLog {
  readonly #logger: Logger;
  readonly #windowMs: number;
  readonly #entries = new Map<string, Entry>();
  #timer: NodeJS.Timeout | undefined;

  constructor(logger: Logger, windowMs = DEFAULT_REPEAT_WINDOW_MS) {
    this.#logger = logger;
    this.#windowMs = windowMs;
  }

  report(level: 'warn' | 'error', fields: Readonly<Record<string, unknown>>, message: string): void {
    const key = `${level}\0${message}\0${JSON.stringify(fields)}`;
    const entry = this.#entries.get(key);
    if (entry !== undefined) {
      entry.repeats += 1;
      return;
    }
    this.#entries.set(key, { level, fields, message, repeats: 0 });
    this.#logger[level](fields, message);
    this.#timer ??= setInterval(() => this.flush(), this.#windowMs).unref();
  }

  /** Writes the counts of repeats so far; a line not repeated since is forgotten, so its next occurrence shows at once. */
  flush(): void {
    for (const [key, entry] of this.#entries) {
      if (entry.repeats === 0) {
        this.#entries.delete(key);
        continue;
      }
      this.#logger[entry.level](
        { ...entry.fields, repeated: entry.repeats, windowMs: this.#windowMs },
        `${entry.message} (repeated)`,
      );
      entry.repeats = 0;
    }
    if (this.#entries.size === 0 && this.#timer !== undefined) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }

  close(): void {
    this.flush();
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#entries.clear();
  }
}
