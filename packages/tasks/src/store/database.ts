import pg from 'pg';
import pgvector from 'pgvector/pg';
import { asDependencyError } from '@lanes/contracts';
import type { Logger } from '@lanes/worker-core';

export type DbClient = pg.PoolClient;

export interface DatabaseOptions {
  readonly url: string;
  /** Every table lives here; validated as a plain identifier by the config loader. */
  readonly schema: string;
  readonly maxConnections?: number;
  readonly logger?: Logger;
  /**
   * Runs on the first connection before any statement, until it passes once: processes that
   * only read check here that a worker has migrated the schema.
   */
  readonly checkSchema?: (client: DbClient, schema: string) => Promise<void>;
}

/** Double-quotes an identifier that the config already restricted to [a-z0-9_]. */
export function ident(name: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new TypeError(`unsafe SQL identifier "${name}"`);
  return `"${name}"`;
}

/**
 * The PostgreSQL pool. Connections set `search_path` to the configured schema (then public,
 * where the vector extension lives), so tests and tenants can each have their own schema.
 * pgvector's type parsers are registered per connection before first use: they need the
 * extension, which the migrations create, so registration is lazy rather than on connect.
 */
export class Database {
  readonly pool: pg.Pool;
  readonly schema: string;
  readonly #typed = new WeakSet<pg.PoolClient>();
  readonly #broken = new WeakSet<pg.PoolClient>();
  readonly #logger: Logger | undefined;
  /** Named (password masked) when PostgreSQL cannot be reached. */
  readonly #url: string;
  #checkSchema: DatabaseOptions['checkSchema'];

  constructor(options: DatabaseOptions) {
    this.schema = options.schema;
    this.#logger = options.logger;
    this.#url = options.url;
    this.#checkSchema = options.checkSchema;
    const searchPath = options.schema === 'public' ? 'public' : `${options.schema},public`;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: 10_000,
      idleTimeoutMillis: 30_000,
      options: `-c search_path=${searchPath}`,
      application_name: 'lanes',
    });
    // An idle connection dropped by the server must not crash the process; the pool replaces it.
    this.pool.on('error', (error) =>
      options.logger?.warn({ err: { message: error.message } }, 'idle PostgreSQL connection failed'),
    );
  }

  /** Qualified table name in the configured schema. */
  table(name: string): string {
    return `${ident(this.schema)}.${ident(name)}`;
  }

  /**
   * Runs `fn` on a pooled connection. An outage (refused or lost connection, shutdown, out of
   * memory) surfaces as DependencyUnavailableError('postgres'), so the runtime waits it out
   * instead of failing the job; an unreachable server is named with its URL (password masked).
   */
  async withClient<T>(fn: (client: DbClient) => Promise<T>, options: { vectorTypes?: boolean } = {}): Promise<T> {
    try {
      return await this.#withClient(fn, options);
    } catch (error) {
      throw asDependencyError(error, 'postgres', { url: this.#url });
    }
  }

  async #withClient<T>(fn: (client: DbClient) => Promise<T>, options: { vectorTypes?: boolean }): Promise<T> {
    const client = await this.pool.connect();
    // pg-pool drops its own 'error' listener while a client is checked out: without ours, a
    // connection lost mid-query (PostgreSQL restarting) is an unhandled 'error' event that
    // kills the process. The query in flight fails on its own; the connection is discarded.
    const onError = (error: Error): void => {
      this.#broken.add(client);
      this.#logger?.warn({ err: { message: error.message } }, 'PostgreSQL connection lost');
    };
    client.on('error', onError);
    try {
      if (this.#checkSchema !== undefined) {
        await this.#checkSchema(client, this.schema);
        this.#checkSchema = undefined;
      }
      if (options.vectorTypes !== false && !this.#typed.has(client)) {
        await pgvector.registerTypes(client);
        this.#typed.add(client);
      }
      return await fn(client);
    } finally {
      client.off('error', onError);
      // A connection that failed, or whose ROLLBACK failed, is in an unknown state: destroy it.
      client.release(this.#broken.has(client));
    }
  }

  /**
   * Runs `fn` in a transaction; rolls back on any error. `settings` (`SET LOCAL ...` statements)
   * travel with the BEGIN, in the same round trip.
   */
  async transaction<T>(
    fn: (client: DbClient) => Promise<T>,
    options: { vectorTypes?: boolean; settings?: readonly string[] } = {},
  ): Promise<T> {
    return this.withClient(async (client) => {
      await client.query(['BEGIN', ...(options.settings ?? [])].join('; '));
      try {
        const result = await fn(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => this.#broken.add(client));
        throw error;
      }
    }, options);
  }

  /** The installed pgvector version as [major, minor, patch]. */
  async vectorVersion(): Promise<[number, number, number]> {
    return this.withClient(
      async (client) => {
        const { rows } = await client.query<{ v: string }>(
          "SELECT extversion AS v FROM pg_extension WHERE extname = 'vector'",
        );
        const [major = 0, minor = 0, patch = 0] = (rows[0]?.v ?? '0.0.0')
          .split('.')
          .map((part) => Number.parseInt(part, 10) || 0);
        return [major, minor, patch];
      },
      { vectorTypes: false },
    );
  }

  async ping(): Promise<void> {
    await this.withClient((client) => client.query('SELECT 1'), { vectorTypes: false });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** pgvector's text form; six decimals keep a unit vector's precision at a third of the bytes. */
export function vectorLiteral(vector: Float32Array | readonly number[]): string {
  let out = '[';
  for (let i = 0; i < vector.length; i++) {
    if (i > 0) out += ',';
    out += String(Math.round(vector[i]! * 1e6) / 1e6);
  }
  return `${out}]`;
}
