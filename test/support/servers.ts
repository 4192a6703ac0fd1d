// Private servers for fault tests: a redis-server (optionally with AOF, a password, TLS or in
// cluster mode), a three-master Redis Cluster, and a PostgreSQL cluster, each on free loopback
// ports in a temp dir of its own, so a test may kill and restart them without touching the shared
// servers other tests use. Every server started here is killed when the test process exits.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { definedOnly } from '@lanes/contracts';

const REDIS_SERVER = process.env.LANES_TEST_REDIS_SERVER ?? '/usr/bin/redis-server';
const REDIS_CLI = process.env.LANES_TEST_REDIS_CLI ?? '/usr/bin/redis-cli';
const PG_BIN = process.env.LANES_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A loopback port nobody listens on right now (the kernel's pick). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `lanes-${label}-`));
}

interface RunOptions {
  readonly cwd?: string;
  readonly timeoutMs?: number;
  readonly env?: Record<string, string>;
}

function run(
  cmd: string,
  args: readonly string[],
  options: RunOptions = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const env = options.env === undefined ? process.env : { ...process.env, ...options.env };
    execFile(
      cmd,
      args,
      { cwd: options.cwd, env, timeout: options.timeoutMs ?? 30_000, maxBuffer: 4 << 20 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

async function mustRun(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const result = await run(cmd, args, options);
  if (result.code !== 0)
    throw new Error(`${cmd} ${args.join(' ')} exited ${result.code}: ${result.stderr || result.stdout}`);
  return result.stdout;
}

// ---------------------------------------------------------------------------------------------
// TLS material

export interface TlsFiles {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
}

/** A throw-away CA and a server certificate for 127.0.0.1 / localhost, signed by it. */
export async function makeTlsFiles(dir: string): Promise<TlsFiles> {
  const files: TlsFiles = {
    dir,
    caCert: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await mustRun('openssl', [
    'req',
    '-x509',
    ...ec,
    '-keyout',
    join(dir, 'ca.key'),
    '-out',
    files.caCert,
    '-days',
    '2',
    '-subj',
    '/CN=lanes-test-ca',
  ]);
  await mustRun('openssl', [
    'req',
    ...ec,
    '-keyout',
    files.serverKey,
    '-out',
    join(dir, 'server.csr'),
    '-subj',
    '/CN=localhost',
  ]);
  writeFileSync(join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await mustRun('openssl', [
    'x509',
    '-req',
    '-in',
    join(dir, 'server.csr'),
    '-CA',
    files.caCert,
    '-CAkey',
    join(dir, 'ca.key'),
    '-CAcreateserial',
    '-out',
    files.serverCert,
    '-days',
    '2',
    '-extfile',
    join(dir, 'san.cnf'),
  ]);
  return files;
}

// ---------------------------------------------------------------------------------------------
// Redis

export interface PrivateRedisOptions {
  /** Turns on AOF with `appendfsync always`: every acknowledged write survives a SIGKILL. */
  readonly aof?: boolean;
  readonly password?: string;
  /** Serve TLS only (plain port 0) with these files. */
  readonly tls?: TlsFiles;
  readonly cluster?: boolean;
  readonly extraArgs?: readonly string[];
  readonly label?: string;
}

/** One redis-server process of our own; `stop` and `start` again keep its port and dir. */
export class PrivateRedis {
  readonly dir: string;
  readonly options: PrivateRedisOptions;
  port = 0;
  #child: ChildProcess | undefined;
  #log = '';

  private constructor(dir: string, options: PrivateRedisOptions) {
    this.dir = dir;
    this.options = options;
  }

  static async start(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
    const server = new PrivateRedis(tempDir(options.label ?? 'redis'), options);
    for (let attempt = 1; ; attempt += 1) {
      server.port = await freePort();
      try {
        await server.start();
        return server;
      } catch (error) {
        // Another process may have taken the port between freePort() and bind(): pick another.
        if (attempt >= 3) throw error;
      }
    }
  }

  /** The URL clients use: `redis://[:password@]127.0.0.1:port`, `rediss://` with TLS. */
  get url(): string {
    const auth = this.options.password === undefined ? '' : `:${encodeURIComponent(this.options.password)}@`;
    return `${this.options.tls === undefined ? 'redis' : 'rediss'}://${auth}127.0.0.1:${this.port}`;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  log(): string {
    return this.#log;
  }

  #args(): string[] {
    const { aof, password, tls, cluster, extraArgs } = this.options;
    return [
      '--bind',
      '127.0.0.1',
      ...(tls === undefined
        ? ['--port', String(this.port)]
        : [
            '--port',
            '0',
            '--tls-port',
            String(this.port),
            '--tls-cert-file',
            tls.serverCert,
            '--tls-key-file',
            tls.serverKey,
            '--tls-ca-cert-file',
            tls.caCert,
            '--tls-auth-clients',
            'no',
          ]),
      '--dir',
      this.dir,
      '--daemonize',
      'no',
      '--protected-mode',
      'no',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
      '--appendonly',
      aof === true ? 'yes' : 'no',
      ...(aof === true ? ['--appendfsync', 'always'] : []),
      ...(password === undefined ? [] : ['--requirepass', password]),
      ...(cluster === true
        ? [
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            join(this.dir, 'nodes.conf'),
            '--cluster-node-timeout',
            '3000',
          ]
        : []),
      ...(extraArgs ?? []),
    ];
  }

  /** Starts the server (again) on its port and dir; resolves once it accepts connections. */
  async start(timeoutMs = 15_000): Promise<void> {
    if (this.#child !== undefined) throw new Error('redis-server already running');
    const child = spawn(REDIS_SERVER, this.#args(), { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    this.#child = child;
    let ready!: () => void;
    let failed!: (error: Error) => void;
    const started = new Promise<void>((resolve, reject) => {
      ready = resolve;
      failed = reject;
    });
    const onOutput = (chunk: Buffer): void => {
      this.#log = (this.#log + chunk.toString()).slice(-20_000);
      if (/Ready to accept connections/.test(this.#log)) ready();
    };
    child.stdout?.on('data', onOutput);
    child.stderr?.on('data', onOutput);
    child.once('exit', (code, signal) => {
      live.delete(child);
      if (this.#child === child) this.#child = undefined;
      failed(new Error(`redis-server exited (${code ?? signal}) before it was ready:\n${this.#log.slice(-2000)}`));
    });
    const timer = setTimeout(
      () => failed(new Error(`redis-server not ready after ${timeoutMs} ms:\n${this.#log.slice(-2000)}`)),
      timeoutMs,
    );
    try {
      await started;
    } catch (error) {
      child.kill('SIGKILL');
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops the server with `signal` (SIGKILL: a crash) and waits for the process to be gone. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }

  /** A plain ioredis connection to this server (TLS trusting our CA), for probes in tests. */
  connect(): Redis {
    const { tls, password } = this.options;
    const connection = new Redis({
      host: '127.0.0.1',
      port: this.port,
      maxRetriesPerRequest: 3,
      ...definedOnly({ password }),
      ...(tls !== undefined && { tls: { ca: readCa(tls) } }),
    });
    // Tests restart this server on purpose: connection errors in between are expected.
    connection.on('error', () => undefined);
    return connection;
  }

  async dispose(): Promise<void> {
    await this.stop('SIGKILL');
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function readCa(tls: TlsFiles): string {
  return readFileSync(tls.caCert, 'utf8');
}

/** Three (or more) masters in cluster mode with no replicas, joined and with every slot served. */
export class PrivateRedisCluster {
  readonly nodes: readonly PrivateRedis[];

  private constructor(nodes: readonly PrivateRedis[]) {
    this.nodes = nodes;
  }

  static async start(masters = 3): Promise<PrivateRedisCluster> {
    const nodes: PrivateRedis[] = [];
    try {
      for (let i = 0; i < masters; i += 1)
        nodes.push(await PrivateRedis.start({ cluster: true, label: `cluster${i}` }));
      const cluster = new PrivateRedisCluster(nodes);
      await mustRun(
        REDIS_CLI,
        ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '0', '--cluster-yes'],
        { timeoutMs: 60_000 },
      );
      await cluster.#waitUntilOk(30_000);
      return cluster;
    } catch (error) {
      await Promise.all(nodes.map((n) => n.dispose()));
      throw error;
    }
  }

  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,...` as Lanes takes it in REDIS_URL. */
  get url(): string {
    return `redis+cluster://${this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}`;
  }

  async #waitUntilOk(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const states = await Promise.all(
        this.nodes.map((n) => run(REDIS_CLI, ['-p', String(n.port), 'cluster', 'info'], { timeoutMs: 5000 })),
      );
      if (
        states.every(
          (s) =>
            /cluster_state:ok/.test(s.stdout) &&
            /cluster_slots_assigned:16384/.test(s.stdout) &&
            /cluster_known_nodes:/.test(s.stdout),
        )
      ) {
        const known = states.map((s) => Number(/cluster_known_nodes:(\d+)/.exec(s.stdout)?.[1] ?? 0));
        if (known.every((k) => k === this.nodes.length)) return;
      }
      if (Date.now() > deadline)
        throw new Error(
          `redis cluster not ok after ${timeoutMs} ms: ${states.map((s) => s.stdout.split('\n')[0]).join(' | ')}`,
        );
      await sleep(200);
    }
  }

  async dispose(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.dispose()));
  }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

export interface PrivatePostgres {
  readonly port: number;
  readonly dir: string;
  readonly url: string;
  start(): Promise<void>;
  stop(mode?: 'fast' | 'immediate'): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * A PostgreSQL 15 cluster of our own (run as the postgres user, which owns its data dir), with
 * password authentication over TCP and the pgvector extension available.
 */
export async function startPostgres(options: { password?: string; database?: string } = {}): Promise<PrivatePostgres> {
  const password = options.password ?? 'lanes-test-pw';
  const database = options.database ?? 'lanes';
  const dir = tempDir('pg');
  chownSync(dir, postgresUid(), postgresGid());
  const data = join(dir, 'data');
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, `${password}\n`);
  chownSync(pwfile, postgresUid(), postgresGid());
  const asPostgres = (cmd: string, args: readonly string[]): Promise<string> =>
    mustRun('runuser', ['-u', 'postgres', '--', join(PG_BIN, cmd), ...args], {
      timeoutMs: 120_000,
      env: { PGPASSWORD: password },
    });
  await asPostgres('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth=scram-sha-256',
    `--pwfile=${pwfile}`,
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  const port = await freePort();
  const logFile = join(dir, 'postgres.log');
  const pg: PrivatePostgres = {
    port,
    dir,
    url: `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`,
    start: async () => {
      await asPostgres('pg_ctl', [
        '-D',
        data,
        '-l',
        logFile,
        '-w',
        '-t',
        '60',
        '-o',
        `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c shared_buffers=32MB -c max_connections=60`,
        'start',
      ]);
    },
    stop: async (mode = 'fast') => {
      await run(
        'runuser',
        ['-u', 'postgres', '--', join(PG_BIN, 'pg_ctl'), '-D', data, '-m', mode, '-w', '-t', '60', 'stop'],
        { timeoutMs: 90_000 },
      );
    },
    dispose: async () => {
      await pg.stop('immediate');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await pg.start();
  await asPostgres('psql', [
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-U',
    'postgres',
    '-d',
    'postgres',
    '-v',
    'ON_ERROR_STOP=1',
    '-c',
    `CREATE DATABASE "${database}"`,
  ]);
  return pg;
}

function idOf(flag: '-u' | '-g'): number {
  return Number(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim());
}

function postgresUid(): number {
  return idOf('-u');
}

function postgresGid(): number {
  return idOf('-g');
}
