import { randomBytes } from 'node:crypto';

/** A run id short enough for key prefixes and schema names: bench_<time>_<random>. */
export function newRunId(): string {
  return `b${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** The BullMQ prefix Lanes uses for a LANES_PREFIX value (hash-tagged for Redis Cluster). */
export function bullPrefix(prefix: string): string {
  return `{${prefix}}`;
}
