import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { loadRuntimeConfig, type RuntimeConfig } from '@lanes/worker-core';

export const REPO_ROOT = join(import.meta.dirname, '..', '..');
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix of its own for each test, so tests never see each other's jobs. */
export function uniquePrefix(label: string): string {
  return `t-${label}-${randomBytes(4).toString('hex')}`;
}

export function testConfig(prefix: string, overrides: Record<string, string> = {}): RuntimeConfig {
  return loadRuntimeConfig({
    ...process.env,
    REDIS_URL,
    LANES_PREFIX: prefix,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    LANES_LOCK_DURATION_MS: '4000',
    ...overrides,
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `probe` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/** Waits until `url` answers 200 (a process's /healthz or /readyz), refused connections included. */
export async function untilHttpOk(url: string, what: string, timeoutMs = 60_000): Promise<void> {
  await eventually(
    async () => ((await fetch(url).catch(() => undefined))?.status === 200 ? true : undefined),
    timeoutMs,
    what,
  );
}
