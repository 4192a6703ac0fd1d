import { ConfigError } from '@lanes/contracts';

export type Env = Readonly<Record<string, string | undefined>>;

/** Small typed readers; each throws ConfigError naming the variable, so start-up stops with one line. */
export function envString(env: Env, name: string, fallback: string): string {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  return value;
}

export function envOptional(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

export function envInt(env: Env, name: string, fallback: number, range: { min?: number; max?: number } = {}): number {
  const raw = envOptional(env, name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw.trim())) throw new ConfigError(name, `must be an integer, got "${raw}"`);
  const value = Number(raw);
  if (range.min !== undefined && value < range.min)
    throw new ConfigError(name, `must be >= ${range.min}, got ${value}`);
  if (range.max !== undefined && value > range.max)
    throw new ConfigError(name, `must be <= ${range.max}, got ${value}`);
  return value;
}

/** The longest delay a Node.js timer holds; longer ones fire after 1 ms instead. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A duration in milliseconds that timers can hold: anything longer is refused, not shortened. */
export function envDurationMs(env: Env, name: string, fallback: number, range: { min?: number } = {}): number {
  const raw = envOptional(env, name);
  if (raw !== undefined && /^\d+$/.test(raw.trim()) && Number(raw) > MAX_TIMER_MS) {
    throw new ConfigError(
      name,
      `must be <= ${MAX_TIMER_MS} ms (about 24.8 days, the longest timer Node.js can hold), got ${raw.trim()}`,
    );
  }
  return envInt(env, name, fallback, range);
}

export function envEnum<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = envOptional(env, name);
  if (raw === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(raw))
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  return raw as T;
}

export function envUrl(env: Env, name: string, protocols: readonly string[], fallback: string): string {
  const raw = envString(env, name, fallback);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `is not a valid URL`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `must use ${protocols.map((p) => `${p}//`).join(' or ')}, got ${url.protocol}//`);
  }
  return raw;
}
