import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, platform, release, totalmem } from 'node:os';
import { Redis } from 'ioredis';
import pg from 'pg';

export interface MachineInfo {
  readonly cpuModel: string;
  readonly cores: number;
  readonly memoryGiB: number;
  readonly os: string;
  readonly node: string;
  readonly bullmq: string | null;
  readonly beeQueue: string | null;
  readonly redis: string | null;
  readonly postgres: string | null;
  readonly pgvector: string | null;
  readonly date: string;
}

const require = createRequire(import.meta.url);

function packageVersion(name: string): string | null {
  try {
    return (require(`${name}/package.json`) as { version: string }).version;
  } catch {
    return null;
  }
}

function osName(): string {
  try {
    const match = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'));
    if (match?.[1] !== undefined) return `${match[1]} (${platform()} ${release()})`;
  } catch {
    // not Linux, or no os-release: fall through
  }
  return `${platform()} ${release()}`;
}

async function redisVersion(url: string): Promise<string | null> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1, connectTimeout: 3000, lazyConnect: true });
  try {
    await redis.connect();
    return /redis_version:(\S+)/.exec(await redis.info('server'))?.[1] ?? null;
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}

async function postgresVersions(url: string): Promise<{ postgres: string | null; pgvector: string | null }> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const server = await client.query<{ server_version: string }>('SHOW server_version');
    const ext = await client.query<{ version: string | null }>(
      `SELECT coalesce((SELECT extversion FROM pg_extension WHERE extname = 'vector'),
                       (SELECT default_version FROM pg_available_extensions WHERE name = 'vector')) AS version`,
    );
    return { postgres: server.rows[0]?.server_version ?? null, pgvector: ext.rows[0]?.version ?? null };
  } catch {
    return { postgres: null, pgvector: null };
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The machine and the versions of everything measured, for the report header. */
export async function machineInfo(redisUrl: string, databaseUrl: string): Promise<MachineInfo> {
  const [redis, pgInfo] = await Promise.all([redisVersion(redisUrl), postgresVersions(databaseUrl)]);
  return {
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: osName(),
    node: process.versions.node,
    bullmq: packageVersion('bullmq'),
    beeQueue: packageVersion('bee-queue'),
    redis,
    postgres: pgInfo.postgres,
    pgvector: pgInfo.pgvector,
    date: new Date().toISOString(),
  };
}
