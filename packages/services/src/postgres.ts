import { createHash } from 'node:crypto';
import {
  appendFileSync,
  chownSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { ensurePackages } from './apt.ts';
import { DEFAULT_DATABASE_URL } from '@lanes/contracts';
import {
  envUrl,
  POSTGRES_DATABASE,
  POSTGRES_HOST,
  POSTGRES_PASSWORD,
  POSTGRES_PORT,
  POSTGRES_ROLE,
} from './defaults.ts';
import { messageOf, ServicesError } from './errors.ts';
import { asUser, currentUser, isRoot, run, type RunResult, which } from './exec.ts';
import type { ServicesLog } from './log.ts';
import { postgresDir, projectRoot } from './paths.ts';
import { ensurePgvector } from './pgvector.ts';
import { hostPort, isPortOpen, isProcessAlive, redactUrl, waitFor } from './probe.ts';
import type { PostgresStatus } from './types.ts';

const PG_LIB = '/usr/lib/postgresql';
/** A unix socket path must fit in sun_path (108 bytes on Linux). */
const MAX_SOCKET_PATH = 100;

/** Settings for a small development box; fsync stays on so a crash loses nothing committed. */
function serverSettings(socketDir: string): string {
  return [
    '# Written by `lanes services up` on every start; edit the code, not this file.',
    `listen_addresses = '${POSTGRES_HOST}'`,
    `port = ${POSTGRES_PORT}`,
    `unix_socket_directories = '${socketDir.replace(/'/g, "''")}'`,
    'fsync = on',
    'synchronous_commit = on',
    'full_page_writes = on',
    'max_connections = 200',
    'shared_buffers = 256MB',
    'maintenance_work_mem = 1GB',
    'work_mem = 16MB',
    'effective_cache_size = 1GB',
    'max_wal_size = 2GB',
    'logging_collector = off',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Installed versions and binaries

/** Installed PostgreSQL server majors (Debian layout), newest first. */
export function installedMajors(): number[] {
  let names: string[];
  try {
    names = readdirSync(PG_LIB);
  } catch {
    return [];
  }
  return names
    .map(Number)
    .filter(
      (major) =>
        Number.isInteger(major) &&
        existsSync(join(binDir(major), 'initdb')) &&
        existsSync(join(binDir(major), 'postgres')),
    )
    .sort((a, b) => b - a);
}

function binDir(major: number): string {
  return join(PG_LIB, String(major), 'bin');
}

function clientBin(name: 'psql' | 'pg_isready'): string | null {
  const majors = readdirSafe(PG_LIB)
    .map(Number)
    .filter(Number.isInteger)
    .sort((a, b) => b - a);
  for (const major of majors) {
    const path = join(binDir(major), name);
    if (existsSync(path)) return path;
  }
  return which(name);
}

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

// ---------------------------------------------------------------------------------------------
// Our cluster: data directory, owner, socket, running server

/** The cluster's data directory (following the symlink made when the project is unreachable for postgres). */
export function dataDirPath(): string {
  const path = postgresDir();
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Who runs our server: PostgreSQL refuses root, so root uses the `postgres` system user. */
function clusterOwner(): string {
  return isRoot() ? 'postgres' : currentUser();
}

function socketDirFor(dataDir: string): string {
  if (join(dataDir, `.s.PGSQL.${POSTGRES_PORT}`).length <= MAX_SOCKET_PATH) return dataDir;
  return `/tmp/lanes-pg-${createHash('sha256').update(dataDir).digest('hex').slice(0, 12)}`;
}

interface RunningCluster {
  pid: number;
  dataDir: string;
  socketDir: string;
  owner: string;
}

/** Our server, when its postmaster.pid names a live process. */
export function ourPostgres(): RunningCluster | null {
  const dataDir = dataDirPath();
  let lines: string[];
  try {
    lines = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n');
  } catch (error) {
    // Another account's cluster (mode 0700): its command line in /proc still tells.
    return (error as NodeJS.ErrnoException).code === 'EACCES' ? findPostmasterOf(dataDir) : null;
  }
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !isProcessAlive(pid) || !isPostgresProcess(pid)) return null;
  return { pid, dataDir, socketDir: lines[4]?.split(',')[0]?.trim() || socketDirFor(dataDir), owner: ownerOf(dataDir) };
}

function findPostmasterOf(dataDir: string): RunningCluster | null {
  for (const entry of readdirSafe('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const d = argv.indexOf('-D');
    if (/postgres$/.test(argv[0] ?? '') && d > 0 && argv[d + 1] === dataDir) {
      return { pid, dataDir, socketDir: socketDirFor(dataDir), owner: ownerOf(dataDir) };
    }
  }
  return null;
}

/** After a reboot or container restart the pid in postmaster.pid may belong to another process. */
function isPostgresProcess(pid: number): boolean {
  try {
    return /postgres|postmaster/.test(readFileSync(`/proc/${pid}/comm`, 'utf8'));
  } catch {
    return true; // no /proc: trust the live pid
  }
}

/** A postmaster.pid whose process is gone (or is something else) would block the start. */
function removeStalePidFile(dataDir: string): void {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (existsSync(pidFile) && ourPostgres() === null) rmSync(pidFile, { force: true });
}

function ownerOf(path: string): string {
  const uid = statSync(path).uid;
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [name, , id] = line.split(':');
    if (name && Number(id) === uid) return name;
  }
  return clusterOwner();
}

function idOf(user: string): { uid: number; gid: number } {
  const uid = Number(run('id', ['-u', user]).stdout.trim());
  const gid = Number(run('id', ['-g', user]).stdout.trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || run('id', ['-u', user]).status !== 0) {
    throw new ServicesError(`system user ${user} does not exist (the postgresql package creates it)`);
  }
  return { uid, gid };
}

function makeOwnedDir(path: string, owner: string): void {
  // Parents stay traversable for the owner (0755); only the directory itself is private.
  mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  if (!existsSync(path)) mkdirSync(path, { mode: 0o700 });
  if (isRoot()) {
    const { uid, gid } = idOf(owner);
    chownSync(path, uid, gid);
  }
}

function canWrite(user: string, path: string): boolean {
  if (user === currentUser()) return true;
  const check = asUser(user, 'test', ['-w', path]);
  return run(check.cmd, check.args).status === 0;
}

/**
 * Creates the data directory for `owner`. When the project lies where the postgres user
 * cannot go (a clone in /root), the cluster lives in /var/lib/lanes/<hash>/postgres instead and
 * .lanes/services/postgres is a symlink to it.
 */
function prepareDataDir(owner: string, log: ServicesLog): string {
  const path = postgresDir();
  if (lstatSafe(path)?.isSymbolicLink()) {
    const target = dataDirPath();
    makeOwnedDir(target, owner);
    return target;
  }
  makeOwnedDir(path, owner);
  if (canWrite(owner, path)) return path;
  if (readdirSync(path).length > 0) {
    throw new ServicesError(
      `user ${owner} cannot write ${path}; give it access to the folders above, or move the project`,
    );
  }
  rmdirSync(path);
  const fallback = join(
    '/var/lib/lanes',
    createHash('sha256').update(projectRoot()).digest('hex').slice(0, 12),
    'postgres',
  );
  makeOwnedDir(fallback, owner);
  symlinkSync(fallback, path);
  log.warn(`user ${owner} cannot reach ${path}; the cluster lives in ${fallback} (symlinked)`);
  return fallback;
}

function lstatSafe(path: string): ReturnType<typeof lstatSync> | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

function clusterMajor(dataDir: string): number | null {
  try {
    const major = Number(readFileSync(join(dataDir, 'PG_VERSION'), 'utf8').trim());
    return Number.isInteger(major) ? major : null;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// SQL

interface DatabaseCheck {
  ok: boolean;
  version: string | null;
  vector: string | null;
  error: string | null;
}

function usable(check: DatabaseCheck): boolean {
  return check.ok && check.vector !== null;
}

function psql(url: string, sql: string): RunResult {
  const bin = clientBin('psql');
  if (!bin) return { status: null, stdout: '', stderr: 'psql is not installed', spawnError: 'psql is not installed' };
  return run(bin, ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', sql], {
    env: { ...process.env, PGCONNECT_TIMEOUT: '5' },
    timeoutMs: 30_000,
  });
}

/** Logs in with the URL and reads the server version and the installed `vector` version. */
function checkDatabase(url: string): DatabaseCheck {
  const result = psql(
    url,
    "SELECT current_setting('server_version'), (SELECT extversion FROM pg_extension WHERE extname = 'vector')",
  );
  if (result.status !== 0) {
    const error = (result.stderr.trim().split('\n').at(-1) ?? '') || result.spawnError || `psql exit ${result.status}`;
    return { ok: false, version: null, vector: null, error: error.replace(/^psql: (error: )?/, '') };
  }
  const [version = '', vector = ''] = result.stdout.trim().split('|');
  return { ok: true, version: version || null, vector: vector || null, error: null };
}

/** Superuser access over a local unix socket, by peer authentication as the server's OS user. */
interface Admin {
  user: string;
  socketDir: string;
}

function adminPsql(admin: Admin, database: string, script: string): RunResult {
  const bin = clientBin('psql');
  if (!bin) throw new ServicesError('psql is not installed');
  const invocation = asUser(admin.user, bin, [
    '-X',
    '-q',
    '-t',
    '-A',
    '-v',
    'ON_ERROR_STOP=1',
    '-h',
    admin.socketDir,
    '-p',
    String(POSTGRES_PORT),
    '-d',
    database,
  ]);
  return run(invocation.cmd, invocation.args, { input: script, timeoutMs: 60_000 });
}

/** A local Debian-style server on the standard port that we can administer as `postgres`. */
function findLocalAdmin(): Admin | null {
  for (const socketDir of ['/var/run/postgresql', '/run/postgresql', '/tmp']) {
    if (!existsSync(join(socketDir, `.s.PGSQL.${POSTGRES_PORT}`))) continue;
    const admin = { user: 'postgres', socketDir };
    try {
      if (adminPsql(admin, 'postgres', 'SELECT 1;').status === 0) return admin;
    } catch {
      return null;
    }
  }
  return null;
}

function serverMajor(admin: Admin): number | null {
  const result = adminPsql(admin, 'postgres', "SELECT current_setting('server_version_num');");
  const num = Number(result.stdout.trim());
  return result.status === 0 && Number.isInteger(num) && num > 0 ? Math.floor(num / 10_000) : null;
}

function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

/** Role, database and the vector extension, each only when missing. */
function provision(admin: Admin, options: { superuser: boolean }, log: ServicesLog): void {
  const role = quoteLiteral(POSTGRES_ROLE);
  const db = quoteLiteral(POSTGRES_DATABASE);
  const roleOptions = `LOGIN${options.superuser ? ' SUPERUSER' : ''} PASSWORD ${quoteLiteral(POSTGRES_PASSWORD)}`;
  const script = [
    `SELECT format('CREATE ROLE %I ${roleOptions.replace(/'/g, "''")}', ${role}) WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = ${role})\\gexec`,
    `SELECT format('CREATE DATABASE %I OWNER %I', ${db}, ${role}) WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = ${db})\\gexec`,
    `\\connect ${POSTGRES_DATABASE}`,
    'CREATE EXTENSION IF NOT EXISTS vector;',
    '',
  ].join('\n');
  log.action(`creating what is missing of role ${POSTGRES_ROLE}, database ${POSTGRES_DATABASE} and extension vector`);
  const result = adminPsql(admin, 'postgres', script);
  if (result.status !== 0) {
    const why = result.stderr.trim().split('\n').at(-1) || result.spawnError || `exit ${result.status}`;
    throw new ServicesError(`creating role/database/extension in PostgreSQL failed: ${why}`);
  }
}

// ---------------------------------------------------------------------------------------------
// up / down / status

/** Makes PostgreSQL with pgvector available: checks DATABASE_URL, reuses one on 5432, or runs ours. */
export async function ensurePostgres(log: ServicesLog): Promise<void> {
  const fromEnv = envUrl('DATABASE_URL');
  if (fromEnv) {
    await checkEnvDatabase(fromEnv, log);
    return;
  }

  if (await isPortOpen(POSTGRES_HOST, POSTGRES_PORT)) {
    await reuseRunningServer(log);
    return;
  }

  const starting = ourPostgres();
  if (starting) {
    // Our postmaster is alive but not listening yet (crash recovery, slow start): wait for it.
    log.info(`PostgreSQL (pid ${starting.pid}) is starting; waiting for it`);
    if (await waitFor(() => isPortOpen(POSTGRES_HOST, POSTGRES_PORT), 60_000, 250)) {
      await reuseRunningServer(log);
      return;
    }
    throw new ServicesError(
      `PostgreSQL (pid ${starting.pid}) runs but does not listen on ${POSTGRES_HOST}:${POSTGRES_PORT}; see ${join(starting.dataDir, 'server.log')}`,
    );
  }

  // The server packages come first: they create the postgres system user that owns the cluster.
  if (installedMajors().length === 0) ensurePackages(['postgresql'], log, 'PostgreSQL');
  const owner = clusterOwner();
  const dataDir = prepareDataDir(owner, log);
  const major = pickMajor(dataDir);
  ensurePgvector(major, log);
  removeStalePidFile(dataDir);

  if (clusterMajor(dataDir) === null) {
    if (readdirSync(dataDir).length > 0) {
      throw new ServicesError(`${dataDir} is not empty but holds no PostgreSQL cluster; remove it and retry`);
    }
    log.action(`creating a PostgreSQL ${major} cluster in ${dataDir}`);
    const initdb = asUser(owner, join(binDir(major), 'initdb'), [
      '-D',
      dataDir,
      '-E',
      'UTF8',
      '--locale=C',
      '--auth-local=peer',
      '--auth-host=scram-sha-256',
    ]);
    const result = run(initdb.cmd, initdb.args, { timeoutMs: 120_000 });
    if (result.status !== 0) {
      throw new ServicesError(
        `initdb of ${dataDir} failed: ${result.stderr.trim().split('\n').at(-1) || result.spawnError}`,
      );
    }
  }

  const socketDir = socketDirFor(dataDir);
  if (socketDir !== dataDir) makeOwnedDir(socketDir, owner);
  writeSettings(dataDir, socketDir, owner);

  log.action(`starting PostgreSQL ${major} on ${POSTGRES_HOST}:${POSTGRES_PORT} (data in ${dataDir})`);
  const logFile = join(dataDir, 'server.log');
  const start = asUser(owner, join(binDir(major), 'pg_ctl'), [
    '-D',
    dataDir,
    '-l',
    logFile,
    '-w',
    '-t',
    '60',
    '-s',
    'start',
  ]);
  const started = run(start.cmd, start.args, { timeoutMs: 90_000 });
  if (started.status !== 0) {
    throw new ServicesError(
      `starting PostgreSQL ${major} failed: ${lastLine(logFile) ?? (started.stderr.trim() || started.spawnError)}`,
    );
  }
  if (!usable(checkDatabase(DEFAULT_DATABASE_URL))) provision({ user: owner, socketDir }, { superuser: true }, log);
  const check = checkDatabase(DEFAULT_DATABASE_URL);
  if (!check.ok || !check.vector) {
    throw new ServicesError(
      `PostgreSQL started but ${DEFAULT_DATABASE_URL} is not usable: ${check.error ?? 'vector extension missing'}`,
    );
  }
}

function lastLine(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').at(-1) ?? null;
  } catch {
    return null;
  }
}

/** The major to run: the cluster's own, or the newest installed. */
function pickMajor(dataDir: string): number {
  const existing = clusterMajor(dataDir);
  const majors = installedMajors();
  if (existing !== null) {
    if (majors.includes(existing)) return existing;
    throw new ServicesError(
      `the cluster in ${dataDir} is PostgreSQL ${existing} but ${majors.length > 0 ? `only ${majors.join(', ')} is installed` : 'no server is installed'}; install postgresql-${existing} or remove the folder`,
    );
  }
  const newest = majors[0];
  if (newest === undefined)
    throw new ServicesError(`the postgresql package is installed but no server binaries are in ${PG_LIB}`);
  return newest;
}

function writeSettings(dataDir: string, socketDir: string, owner: string): void {
  const settingsFile = join(dataDir, 'lanes.conf');
  writeFileSync(settingsFile, serverSettings(socketDir), { mode: 0o600 });
  if (isRoot()) {
    const { uid, gid } = idOf(owner);
    chownSync(settingsFile, uid, gid);
  }
  const mainConf = join(dataDir, 'postgresql.conf');
  const include = "include_if_exists 'lanes.conf'";
  if (!readFileSync(mainConf, 'utf8').includes(include)) appendFileSync(mainConf, `\n# lanes services\n${include}\n`);
}

/** Something already listens on 5432: ours, or an external server to reuse. */
async function reuseRunningServer(log: ServicesLog): Promise<void> {
  const ours = ourPostgres();
  const where = `${POSTGRES_HOST}:${POSTGRES_PORT}`;
  const ready = await waitFor(() => pgIsReady(DEFAULT_DATABASE_URL) !== 'starting', 30_000, 250);
  if (!ready) throw new ServicesError(`PostgreSQL on ${where} is still starting after 30 s`);
  const check = checkDatabase(DEFAULT_DATABASE_URL);
  if (check.ok && check.vector) {
    log.info(
      `PostgreSQL ${check.version ?? ''} already running on ${where} (${ours ? 'started by lanes' : 'external, reused'}), vector ${check.vector}`,
    );
    return;
  }
  const admin: Admin | null = ours ? { user: ours.owner, socketDir: ours.socketDir } : findLocalAdmin();
  if (!admin) {
    throw new ServicesError(
      `PostgreSQL on ${where} is not ours and ${DEFAULT_DATABASE_URL} does not work (${check.error ?? 'vector extension missing'}); create that role and database with pgvector, or set DATABASE_URL`,
    );
  }
  if (!ours) log.action(`reusing the PostgreSQL already running on ${where}`);
  const major = serverMajor(admin);
  if (major !== null && existsSync(join(PG_LIB, String(major)))) ensurePgvector(major, log);
  provision(admin, { superuser: ours !== null }, log);
  const after = checkDatabase(DEFAULT_DATABASE_URL);
  if (!after.ok || !after.vector) {
    throw new ServicesError(
      `PostgreSQL on ${where}: ${DEFAULT_DATABASE_URL} still does not work: ${after.error ?? 'vector extension missing'}`,
    );
  }
}

async function checkEnvDatabase(url: string, log: ServicesLog): Promise<void> {
  const shown = redactUrl(url);
  const readiness = pgIsReady(url);
  if (readiness === 'down') throw new ServicesError(`DATABASE_URL ${shown} is not reachable`);
  const check = checkDatabase(url);
  if (!check.ok) {
    if (clientBin('psql')) throw new ServicesError(`DATABASE_URL ${shown} does not accept a login: ${check.error}`);
    log.info(`PostgreSQL reachable at DATABASE_URL ${shown} (psql is not installed, so not checked further)`);
    return;
  }
  log.info(
    `PostgreSQL ${check.version ?? ''} reachable at DATABASE_URL ${shown}${check.vector ? `, vector ${check.vector}` : ''}`,
  );
  if (!check.vector) log.warn(`the database at DATABASE_URL has no vector extension yet; Lanes needs pgvector there`);
}

/** pg_isready when installed, else a TCP probe. */
function pgIsReady(url: string): 'ready' | 'starting' | 'down' {
  const bin = clientBin('pg_isready');
  if (!bin) return 'ready';
  const result = run(bin, ['-q', '-t', '3', '-d', url], { timeoutMs: 10_000 });
  if (result.status === 0) return 'ready';
  if (result.status === 1) return 'starting';
  return 'down';
}

/** Stops the server we started (fast shutdown). Returns whether one ran. */
export async function stopPostgres(log: ServicesLog): Promise<boolean> {
  const ours = ourPostgres();
  if (!ours) {
    log.info('PostgreSQL: none of ours is running');
    return false;
  }
  const major = clusterMajor(ours.dataDir) ?? installedMajors()[0];
  const pgCtl = major !== undefined ? join(binDir(major), 'pg_ctl') : which('pg_ctl');
  if (!pgCtl) throw new ServicesError('pg_ctl not found to stop PostgreSQL');
  log.action(`stopping PostgreSQL (pid ${ours.pid})`);
  const stop = asUser(ours.owner, pgCtl, ['-D', ours.dataDir, '-m', 'fast', '-w', '-t', '60', '-s', 'stop']);
  const result = run(stop.cmd, stop.args, { timeoutMs: 90_000 });
  if (result.status !== 0)
    throw new ServicesError(`stopping PostgreSQL failed: ${result.stderr.trim() || result.spawnError}`);
  return true;
}

export async function postgresStatus(): Promise<PostgresStatus> {
  const fromEnv = envUrl('DATABASE_URL');
  const url = fromEnv ?? DEFAULT_DATABASE_URL;
  const { host, port } = hostPort(url, POSTGRES_PORT);
  const ours = fromEnv ? null : ourPostgres();
  let reachable: boolean;
  let check: DatabaseCheck = { ok: false, version: null, vector: null, error: null };
  try {
    reachable = clientBin('pg_isready') ? pgIsReady(url) === 'ready' : await isPortOpen(host, port);
    if (reachable) check = checkDatabase(url);
  } catch (error) {
    reachable = false;
    check.error = messageOf(error);
  }
  const managedBy = ours ? 'lanes' : reachable ? 'external' : null;
  let error = check.error;
  if (!reachable) error = error ?? `nothing accepts connections on ${host}:${port}`;
  else if (check.ok && !check.vector) error = 'the vector extension is not installed in this database';
  const dataDir = fromEnv ? null : dataDirPath();
  return {
    url: fromEnv ? redactUrl(fromEnv) : DEFAULT_DATABASE_URL,
    source: fromEnv ? 'env' : 'default',
    reachable,
    managedBy,
    version: check.version ?? installedServerVersion(),
    pid: ours?.pid ?? null,
    dataDir: dataDir && existsSync(dataDir) ? dataDir : null,
    error,
    vector: check.vector,
  };
}

function installedServerVersion(): string | null {
  const major = installedMajors()[0];
  if (major === undefined) return null;
  const result = run(join(binDir(major), 'postgres'), ['--version']);
  return /(\d+\.\d+)/.exec(result.stdout)?.[1] ?? null;
}
