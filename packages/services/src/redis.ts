import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { ensurePackages } from './apt.ts';
import { DEFAULT_REDIS_URL } from '@lanes/contracts';
import { envUrl, REDIS_HOST, REDIS_PORT } from './defaults.ts';
import { messageOf, ServicesError } from './errors.ts';
import { runChecked, which } from './exec.ts';
import type { ServicesLog } from './log.ts';
import { redisDir } from './paths.ts';
import { hostPort, isPortOpen, isProcessAlive, redactUrl, waitFor } from './probe.ts';
import type { ServiceStatus } from './types.ts';

interface RedisProbe {
  reachable: boolean;
  version: string | null;
  pid: number | null;
  evictionPolicy: string | null;
  error: string | null;
}

const UNREACHABLE = { reachable: false, version: null, pid: null, evictionPolicy: null } as const;

/**
 * PING and INFO over one short-lived connection that fails fast (no retries, no reconnects, no
 * offline queue) and is always closed. Any failure is an answer: not reachable, and why.
 */
export async function probeRedis(url: string, timeoutMs = 1500): Promise<RedisProbe> {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    enableOfflineQueue: false,
    enableReadyCheck: false,
    disableClientInfo: true,
  });
  // The first error event names the cause (ECONNREFUSED, WRONGPASS, a protocol error); the
  // rejected command then only says the connection is closed. Listening also keeps ioredis quiet.
  let cause: Error | null = null;
  redis.on('error', (error: Error) => {
    cause ??= error;
  });
  try {
    await redis.connect();
    const pong = await redis.ping();
    if (pong !== 'PONG') return { ...UNREACHABLE, error: `unexpected PING reply ${JSON.stringify(pong)}` };
    const fields = parseInfo(await redis.info());
    const pid = Number(fields.get('process_id'));
    return {
      reachable: true,
      version: fields.get('redis_version') ?? null,
      pid: Number.isInteger(pid) && pid > 0 ? pid : null,
      evictionPolicy: fields.get('maxmemory_policy') ?? null,
      error: null,
    };
  } catch (error) {
    return { ...UNREACHABLE, error: messageOf(cause ?? error) };
  } finally {
    redis.disconnect();
  }
}

/** The `field:value` lines of an INFO reply. */
function parseInfo(info: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of info.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1));
  }
  return fields;
}

function pidFile(): string {
  return join(redisDir(), 'redis.pid');
}

function logFile(): string {
  return join(redisDir(), 'redis.log');
}

/** The pid of the redis-server we started, while it runs. */
export function ourRedisPid(): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFile(), 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid)) return null;
  try {
    if (!readFileSync(`/proc/${pid}/comm`, 'utf8').includes('redis')) return null;
  } catch {
    // No /proc: trust the live pid.
  }
  return pid;
}

function checkEvictionPolicy(probe: RedisProbe, where: string, log: ServicesLog): void {
  if (probe.evictionPolicy && probe.evictionPolicy !== 'noeviction') {
    log.warn(`${where} runs with maxmemory-policy ${probe.evictionPolicy}; queues need noeviction or jobs can be lost`);
  }
}

/** Makes a Redis available: checks REDIS_URL, reuses one on 6379, or installs and starts ours. */
export async function ensureRedis(log: ServicesLog): Promise<void> {
  const fromEnv = envUrl('REDIS_URL');
  if (fromEnv) {
    const probe = await probeRedis(fromEnv);
    if (!probe.reachable) throw new ServicesError(`REDIS_URL ${redactUrl(fromEnv)} is not reachable: ${probe.error}`);
    log.info(`Redis ${probe.version ?? ''} reachable at REDIS_URL ${redactUrl(fromEnv)}`);
    checkEvictionPolicy(probe, 'the Redis at REDIS_URL', log);
    return;
  }

  const running = await probeRedis(DEFAULT_REDIS_URL);
  if (running.reachable) {
    const ours = running.pid !== null && running.pid === ourRedisPid();
    log.info(
      `Redis ${running.version ?? ''} already running on ${REDIS_HOST}:${REDIS_PORT} (${ours ? 'started by lanes' : 'external, reused'})`,
    );
    checkEvictionPolicy(running, `the Redis on ${REDIS_HOST}:${REDIS_PORT}`, log);
    return;
  }
  if (await isPortOpen(REDIS_HOST, REDIS_PORT)) {
    throw new ServicesError(
      `port ${REDIS_PORT} is in use but does not answer as Redis (${running.error}); free it or set REDIS_URL`,
    );
  }

  let server = which('redis-server');
  if (!server) {
    ensurePackages(['redis-server'], log, 'Redis');
    server = which('redis-server');
    if (!server) throw new ServicesError('redis-server is still missing after installing the redis-server package');
  }

  const dir = redisDir();
  mkdirSync(dir, { recursive: true });
  log.action(`starting Redis on ${REDIS_HOST}:${REDIS_PORT} (data in ${dir})`);
  runChecked(server, redisArgs(dir), { what: 'starting redis-server' });
  const up = await waitFor(async () => (await probeRedis(DEFAULT_REDIS_URL, 500)).reachable, 15_000);
  if (!up)
    throw new ServicesError(
      `redis-server did not answer on ${REDIS_HOST}:${REDIS_PORT} within 15 s: ${lastLogLine(logFile())}`,
    );
}

/** Everything on the command line, so the running server shows its settings in `ps`. */
function redisArgs(dir: string): string[] {
  return [
    '--daemonize',
    'yes',
    '--port',
    String(REDIS_PORT),
    '--bind',
    REDIS_HOST,
    '--protected-mode',
    'yes',
    '--dir',
    dir,
    '--pidfile',
    join(dir, 'redis.pid'),
    '--logfile',
    join(dir, 'redis.log'),
    // The queue Redis must never evict job keys and must survive a restart.
    '--maxmemory-policy',
    'noeviction',
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
  ];
}

function lastLogLine(path: string): string {
  try {
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    return lines.at(-1) ?? 'no log output';
  } catch {
    return `no log at ${path}`;
  }
}

/** Stops the Redis we started (SIGTERM: it flushes the AOF and exits). Returns whether one ran. */
export async function stopRedis(log: ServicesLog): Promise<boolean> {
  const pid = ourRedisPid();
  if (pid === null) {
    log.info('Redis: none of ours is running');
    return false;
  }
  log.action(`stopping Redis (pid ${pid})`);
  process.kill(pid, 'SIGTERM');
  if (!(await waitFor(() => !isProcessAlive(pid), 30_000))) {
    throw new ServicesError(`Redis (pid ${pid}) did not stop within 30 s after SIGTERM`);
  }
  return true;
}

export async function redisStatus(): Promise<ServiceStatus> {
  const fromEnv = envUrl('REDIS_URL');
  const url = fromEnv ?? DEFAULT_REDIS_URL;
  const probe = await probeRedis(url);
  const ourPid = fromEnv ? null : ourRedisPid();
  const managedBy = probe.reachable
    ? ourPid !== null && probe.pid === ourPid
      ? 'lanes'
      : 'external'
    : ourPid !== null
      ? 'lanes'
      : null;
  const { host, port } = hostPort(url, REDIS_PORT);
  const error = probe.reachable ? null : (probe.error ?? `nothing answers on ${host}:${port}`);
  return {
    url: fromEnv ? redactUrl(fromEnv) : DEFAULT_REDIS_URL,
    source: fromEnv ? 'env' : 'default',
    reachable: probe.reachable,
    managedBy,
    version: probe.version ?? (which('redis-server') ? installedRedisVersion() : null),
    pid: probe.pid ?? ourPid,
    dataDir: managedBy === 'lanes' || (!fromEnv && existsSync(redisDir())) ? redisDir() : null,
    error,
  };
}

function installedRedisVersion(): string | null {
  const server = which('redis-server');
  if (!server) return null;
  try {
    const result = runChecked(server, ['--version'], { what: 'redis-server --version' });
    return /v=(\S+)/.exec(result.stdout)?.[1] ?? null;
  } catch {
    return null;
  }
}
