import type { Redis } from 'ioredis';

/** Deletes (or extends) only the locks still holding our token, so a late owner never frees another's lock. */
const RELEASE_SCRIPT = `
local released = 0
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('DEL', key); released = released + 1 end
end
return released
`;
const EXTEND_SCRIPT = `
for _, key in ipairs(KEYS) do
  if redis.call('GET', key) == ARGV[1] then redis.call('PEXPIRE', key, ARGV[2]) end
end
return 1
`;

type CacheRedis = Redis & {
  lanesReleaseLocks(...args: string[]): Promise<number>;
  lanesExtendLocks(...args: string[]): Promise<number>;
};

/**
 * Vectors in Redis keyed by space (provider, model, dimensions) and sha256 of the text, stored
 * as raw float32 bytes with a TTL; plus the per-text locks that make concurrent embedding of
 * the same text single-flight across processes. All keys share the hash-tagged prefix, so the
 * multi-key commands work on Redis Cluster too.
 */
export class EmbeddingCache {
  readonly #redis: CacheRedis;
  readonly #prefix: string;
  readonly #ttlSeconds: number;

  constructor(redis: Redis, prefix: string, ttlSeconds: number) {
    if (!('lanesReleaseLocks' in redis)) {
      redis.defineCommand('lanesReleaseLocks', { lua: RELEASE_SCRIPT });
      redis.defineCommand('lanesExtendLocks', { lua: EXTEND_SCRIPT });
    }
    this.#redis = redis as CacheRedis;
    this.#prefix = prefix;
    this.#ttlSeconds = ttlSeconds;
  }

  #key(space: string, hash: string): string {
    return `${this.#prefix}:emb:${space}:${hash}`;
  }

  #lockKey(space: string, hash: string): string {
    return `${this.#prefix}:emb-lock:${space}:${hash}`;
  }

  async getMany(
    space: string,
    hashes: readonly string[],
    dimensions: number,
  ): Promise<Array<Float32Array | undefined>> {
    if (hashes.length === 0) return [];
    const raw = await this.#redis.mgetBuffer(...hashes.map((hash) => this.#key(space, hash)));
    return raw.map((buffer) => {
      // A value of the wrong size (corrupted, or a key collision across versions) is a miss.
      if (buffer === null || buffer.byteLength !== dimensions * 4) return undefined;
      const copy = new Uint8Array(buffer.byteLength);
      copy.set(buffer);
      return new Float32Array(copy.buffer);
    });
  }

  async setMany(space: string, entries: ReadonlyArray<readonly [string, Float32Array]>): Promise<void> {
    if (entries.length === 0) return;
    const pipeline = this.#redis.pipeline();
    for (const [hash, vector] of entries) {
      pipeline.set(
        this.#key(space, hash),
        Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength),
        'EX',
        this.#ttlSeconds,
      );
    }
    await pipeline.exec();
  }

  /** SET NX per text: true where we now own the right to compute it. */
  async tryLock(space: string, hashes: readonly string[], token: string, ttlMs: number): Promise<boolean[]> {
    if (hashes.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const hash of hashes) pipeline.set(this.#lockKey(space, hash), token, 'PX', ttlMs, 'NX');
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, reply]) => error === null && reply === 'OK');
  }

  async isLocked(space: string, hashes: readonly string[]): Promise<boolean[]> {
    if (hashes.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const hash of hashes) pipeline.exists(this.#lockKey(space, hash));
    const replies = (await pipeline.exec()) ?? [];
    return replies.map(([error, reply]) => error === null && reply === 1);
  }

  async release(space: string, hashes: readonly string[], token: string): Promise<void> {
    if (hashes.length === 0) return;
    const keys = hashes.map((hash) => this.#lockKey(space, hash));
    await this.#redis.lanesReleaseLocks(String(keys.length), ...keys, token);
  }

  async extend(space: string, hashes: readonly string[], token: string, ttlMs: number): Promise<void> {
    if (hashes.length === 0) return;
    const keys = hashes.map((hash) => this.#lockKey(space, hash));
    await this.#redis.lanesExtendLocks(String(keys.length), ...keys, token, String(ttlMs));
  }
}
