import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import { definedOnly } from '@lanes/contracts';

export const DEFAULT_PREFIX = 'lanes';

/**
 * Wraps the key prefix in a hash tag (`{lanes}`) so every key of every lane hashes to the same
 * Redis Cluster slot, which BullMQ's multi-key Lua scripts require.
 */
export function hashTaggedPrefix(prefix: string): string {
  return /^\{.+\}$/.test(prefix) ? prefix : `{${prefix}}`;
}

/** A Redis Cluster address: `redis+cluster://[user:password@]host:port[,host:port...]`. */
export interface ClusterUrl {
  /** Seed nodes; the client discovers the rest of the cluster from any one of them. */
  readonly nodes: ReadonlyArray<{ readonly host: string; readonly port: number }>;
  readonly username?: string;
  readonly password?: string;
  /** `rediss+cluster://`: TLS to every node (CAs from the system or NODE_EXTRA_CA_CERTS). */
  readonly tls: boolean;
}

const CLUSTER_SCHEME = /^rediss?\+cluster:\/\//i;

/** True for `redis+cluster://` and `rediss+cluster://` URLs. */
export function isClusterUrl(url: string): boolean {
  return CLUSTER_SCHEME.test(url);
}

function decode(part: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new TypeError(`the ${what} of the cluster URL is not valid percent-encoding`);
  }
}

function parseNode(raw: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]\s]+)(?::(\d{1,5}))?$/.exec(raw.trim());
  if (match === null) throw new TypeError(`cluster node "${raw}" is not host:port`);
  const host = match[1]!.replace(/^\[|\]$/g, '');
  const port = match[2] === undefined ? 6379 : Number(match[2]);
  if (!(port >= 1 && port <= 65535)) throw new TypeError(`cluster node "${raw}" has an invalid port`);
  return { host, port };
}

/**
 * Parses `redis+cluster://[user:password@]host:port[,host:port...][/0]` (or `rediss+cluster://`
 * for TLS). Throws a TypeError naming the problem; the message never contains the password.
 */
export function parseClusterUrl(url: string): ClusterUrl {
  const scheme = CLUSTER_SCHEME.exec(url);
  if (scheme === null) throw new TypeError('a cluster URL starts with redis+cluster:// or rediss+cluster://');
  const tls = scheme[0].toLowerCase().startsWith('rediss');
  let rest = url.slice(scheme[0].length);
  if (/[?#]/.test(rest)) throw new TypeError('a cluster URL takes no query string or fragment');
  let username: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at >= 0) {
    const auth = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = auth.indexOf(':');
    const user = decode(colon >= 0 ? auth.slice(0, colon) : auth, 'user name');
    if (user !== '') username = user;
    if (colon >= 0) password = decode(auth.slice(colon + 1), 'password');
  }
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    const db = rest.slice(slash + 1);
    if (db !== '' && db !== '0') throw new TypeError('Redis Cluster has only database 0');
    rest = rest.slice(0, slash);
  }
  const nodes = rest
    .split(',')
    .filter((node) => node.trim() !== '')
    .map(parseNode);
  if (nodes.length === 0) throw new TypeError('a cluster URL names at least one host:port');
  return { nodes, tls, ...definedOnly({ username }), ...definedOnly({ password }) };
}

/**
 * ioredis attaches the failed command to a ReplyError (`error.command = { name, args }`); for a
 * refused AUTH (or HELLO ... AUTH) those args are the user name and password, and whoever prints
 * the error object (BullMQ's console.error fallback for queues without an 'error' listener, a
 * logger serialising `err`) prints the password. Blank them before any other listener sees the
 * error: this listener runs first, and rejected command promises settle only after the emit.
 */
function redactCredentialArgs(error: unknown): void {
  if (typeof error !== 'object' || error === null) return;
  const command = (error as { command?: unknown }).command;
  if (typeof command !== 'object' || command === null) return;
  const { name, args } = command as { name?: unknown; args?: unknown };
  if (typeof name === 'string' && /^(auth|hello|migrate)$/i.test(name) && Array.isArray(args)) {
    (command as { args: unknown[] }).args = args.map(() => '[redacted]');
  }
}

function guardCredentials<T extends Redis | Cluster>(connection: T): T {
  connection.prependListener('error', redactCredentialArgs);
  if (connection instanceof Cluster) connection.prependListener('node error', redactCredentialArgs);
  return connection;
}

type NodeOptions = NonNullable<ClusterOptions['redisOptions']>;

/** Per-node options for a cluster: auth and TLS from the URL, then the caller's settings. */
function nodeOptions(parsed: ClusterUrl, base: NodeOptions, overrides: RedisOptions): NodeOptions {
  const {
    host: _host,
    port: _port,
    path: _path,
    sentinels: _sentinels,
    retryStrategy: _retryStrategy,
    enableOfflineQueue: _enableOfflineQueue,
    readOnly: _readOnly,
    ...allowed
  } = overrides;
  return {
    ...definedOnly({ username: parsed.username }),
    ...definedOnly({ password: parsed.password }),
    ...(parsed.tls && { tls: {} }),
    ...base,
    ...allowed,
  };
}

/**
 * A Cluster for `redis+cluster://` URLs. BullMQ accepts an ioredis Cluster wherever it takes a
 * connection, and Cluster offers every command Lanes issues on these connections (the lane
 * scripts, ping, publish/subscribe, defineCommand, duplicate, quit). The exported functions keep
 * their `Redis` return type so callers need not change; the cast is confined to this file.
 */
function createCluster(url: string, base: NodeOptions, overrides: RedisOptions, clusterOptions: ClusterOptions): Redis {
  const parsed = parseClusterUrl(url);
  const cluster = new Cluster(
    parsed.nodes.map((node) => ({ host: node.host, port: node.port })),
    { ...clusterOptions, redisOptions: nodeOptions(parsed, base, overrides) },
  );
  return guardCredentials(cluster) as unknown as Redis;
}

/**
 * Producer connections fail fast: an enqueue while Redis is down should surface an error to
 * the caller within seconds instead of queueing commands in memory forever.
 */
export function createProducerConnection(redisUrl: string, overrides: RedisOptions = {}): Redis {
  const options: RedisOptions = {
    maxRetriesPerRequest: 2,
    enableOfflineQueue: true,
    connectTimeout: 5000,
    lazyConnect: false,
  };
  if (isClusterUrl(redisUrl)) {
    return createCluster(redisUrl, { maxRetriesPerRequest: 2, connectTimeout: 5000 }, overrides, {
      enableOfflineQueue: true,
      lazyConnect: false,
    });
  }
  return guardCredentials(new Redis(redisUrl, { ...options, ...overrides }));
}

/** Worker and event connections block (BZPOPMIN, XREAD) and must retry forever, as BullMQ requires. */
export function createBlockingConnection(redisUrl: string, overrides: RedisOptions = {}): Redis {
  if (isClusterUrl(redisUrl)) {
    return createCluster(redisUrl, { maxRetriesPerRequest: null }, overrides, { enableReadyCheck: true });
  }
  return guardCredentials(new Redis(redisUrl, { maxRetriesPerRequest: null, enableReadyCheck: true, ...overrides }));
}

/**
 * QUIT when connected, so replies still in flight arrive first; a connection that is down is
 * dropped at once, since its QUIT would wait in the offline queue for a Redis that may never
 * come back (a worker told to stop during an outage would otherwise never exit).
 */
export async function closeConnection(redis: Redis, timeoutMs = 2000): Promise<void> {
  if (redis.status !== 'ready') {
    redis.disconnect();
    return;
  }
  const timer = setTimeout(() => redis.disconnect(), timeoutMs);
  try {
    await redis.quit();
  } catch {
    // Already closing or closed: nothing left to release.
  } finally {
    clearTimeout(timer);
  }
}
