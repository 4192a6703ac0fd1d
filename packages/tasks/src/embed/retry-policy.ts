/** How to react to one failed embedding request. */
export type FailureKind =
  /** Worth another attempt (429 rate limit, 5xx, timeout, connection reset, garbled reply). */
  | 'transient'
  /** This model cannot serve us (404, unknown model): skip retries, fail over if possible. */
  | 'model-unavailable'
  /** Nothing will fix it (insufficient_quota, bad key, bad request). */
  | 'permanent';

export interface ClassifiedFailure {
  readonly kind: FailureKind;
  readonly status: number | undefined;
  readonly message: string;
  /** Server-requested wait (retry-after-ms / retry-after), when given. */
  readonly retryAfterMs: number | undefined;
}

interface HeaderBag {
  get(name: string): string | null;
}

/** `retry-after-ms` (OpenAI's, milliseconds) wins over `retry-after` (seconds or an HTTP date). */
export function retryAfterMs(headers: HeaderBag | undefined, now = Date.now()): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms != null && ms.trim() !== '') {
    const value = Number.parseFloat(ms);
    if (Number.isFinite(value) && value >= 0) return value;
  }
  const after = headers?.get('retry-after');
  if (after != null && after.trim() !== '') {
    const seconds = Number.parseFloat(after);
    if (Number.isFinite(seconds) && /^\s*[\d.]+\s*$/.test(after)) return seconds * 1000;
    const date = Date.parse(after);
    if (Number.isFinite(date)) return Math.max(0, date - now);
  }
  return undefined;
}

/** Loosely typed view of an openai SDK error: we read fields, never rely on its classes alone. */
interface SdkErrorShape {
  status?: unknown;
  code?: unknown;
  type?: unknown;
  headers?: unknown;
  message?: unknown;
  name?: unknown;
  error?: unknown;
}

function isHeaderBag(value: unknown): value is HeaderBag {
  return typeof value === 'object' && value !== null && typeof (value as HeaderBag).get === 'function';
}

export function classifyFailure(error: unknown): ClassifiedFailure {
  const shape = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorShape;
  const status = typeof shape.status === 'number' ? shape.status : undefined;
  const message = typeof shape.message === 'string' ? shape.message : String(error);
  const code = typeof shape.code === 'string' ? shape.code : undefined;
  const type = typeof shape.type === 'string' ? shape.type : undefined;
  const wait = retryAfterMs(isHeaderBag(shape.headers) ? shape.headers : undefined);
  const base = { status, message, retryAfterMs: wait };
  if (code === 'insufficient_quota' || type === 'insufficient_quota') return { ...base, kind: 'permanent' };
  if (status === 429 || status === 408 || status === 409 || (status !== undefined && status >= 500))
    return { ...base, kind: 'transient' };
  if (status === 404 || code === 'model_not_found') return { ...base, kind: 'model-unavailable' };
  if (status !== undefined && status >= 400) return { ...base, kind: 'permanent' };
  // No status: connection errors, timeouts, unparseable bodies. All transient.
  return { ...base, kind: 'transient' };
}

/**
 * Delay before attempt `attempt + 1` (attempt counts from 1): the server's retry-after when it
 * sent one (plus a little jitter so a herd does not return in lockstep), else exponential
 * back-off with full jitter.
 */
export function backoffMs(attempt: number, failure: ClassifiedFailure, baseMs = 500, capMs = 20_000): number {
  if (failure.retryAfterMs !== undefined) return Math.min(60_000, failure.retryAfterMs + Math.random() * 100);
  const ceiling = Math.min(capMs, baseMs * 2 ** (attempt - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
