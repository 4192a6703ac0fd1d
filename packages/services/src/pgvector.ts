import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { debianMirror, osRelease } from './apt-sources.ts';
import { aptUpdate, aptUpdateIfStale, candidateVersion, ensurePackages } from './apt.ts';
import { ServicesError } from './errors.ts';
import { privileged, run, runChecked } from './exec.ts';
import type { ServicesLog } from './log.ts';
import { logsDir } from './paths.ts';

/** The Debian release whose pgvector source package builds against older PostgreSQL majors. */
const SOURCE_SUITE = 'trixie';
const SOURCES_FILE = '/etc/apt/sources.list.d/lanes-pgvector-src.sources';

function buildLogFile(): string {
  return join(logsDir(), 'pgvector-build.log');
}

/** pg_config of one installed major version (Debian layout), or null. */
export function pgConfigFor(major: number): string | null {
  const path = `/usr/lib/postgresql/${major}/bin/pg_config`;
  return existsSync(path) ? path : null;
}

export function extensionDir(major: number): string {
  const pgConfig = pgConfigFor(major);
  const sharedir = pgConfig ? run(pgConfig, ['--sharedir']).stdout.trim() : '';
  return join(sharedir || `/usr/share/postgresql/${major}`, 'extension');
}

/** True when `CREATE EXTENSION vector` can work on a server of this major version. */
export function isPgvectorInstalled(major: number): boolean {
  return existsSync(join(extensionDir(major), 'vector.control'));
}

/**
 * Makes the `vector` extension available to PostgreSQL `major`: nothing when it already is,
 * else the distro package `postgresql-<major>-pgvector`, else a build of Debian trixie's source
 * package. Returns how it got there.
 */
export function ensurePgvector(major: number, log: ServicesLog): 'present' | 'package' | 'built' {
  if (isPgvectorInstalled(major)) return 'present';
  const pkg = `postgresql-${major}-pgvector`;
  // A package that is simply not in this release must not cost an apt-get update every time.
  if (candidateVersion(pkg) === null) aptUpdateIfStale(log, 24 * 3600 * 1000);
  if (candidateVersion(pkg) !== null) {
    ensurePackages([pkg], log, 'pgvector');
    if (isPgvectorInstalled(major)) return 'package';
    throw new ServicesError(`${pkg} is installed but ${join(extensionDir(major), 'vector.control')} is missing`);
  }
  buildFromDebianSource(major, log);
  if (!isPgvectorInstalled(major)) {
    throw new ServicesError(
      `pgvector build finished but vector.control is not in ${extensionDir(major)} (see ${buildLogFile()})`,
    );
  }
  return 'built';
}

function buildFromDebianSource(major: number, log: ServicesLog): void {
  const os = osRelease();
  if (os.get('ID') !== 'debian') {
    throw new ServicesError(
      `apt has no postgresql-${major}-pgvector and building from Debian's source package needs Debian (this is ${os.get('PRETTY_NAME') ?? 'unknown'}): install pgvector for PostgreSQL ${major} yourself`,
    );
  }
  const mirror = debianMirror();
  if (!mirror)
    throw new ServicesError(
      'no Debian main archive found in the apt sources, so pgvector cannot be fetched from trixie',
    );

  ensurePackages([`postgresql-server-dev-${major}`, 'build-essential', 'dpkg-dev'], log, 'building pgvector');
  const pgConfig = pgConfigFor(major) ?? `/usr/bin/pg_config`;

  log.action(`building pgvector for PostgreSQL ${major} from Debian ${SOURCE_SUITE}'s source package`);
  const workDir = mkdtempSync(join(tmpdir(), 'lanes-pgvector-'));
  try {
    // deb-src only, so no binary package can ever come from trixie; the mirror is the one this
    // machine already uses. The file is removed again after the download.
    const stanza = [
      'Types: deb-src',
      `URIs: ${mirror.uri}`,
      `Suites: ${SOURCE_SUITE}`,
      'Components: main',
      ...(mirror.signedBy ? [`Signed-By: ${mirror.signedBy}`] : []),
      '',
    ].join('\n');
    const write = privileged('sh', ['-c', `cat > ${SOURCES_FILE}`]);
    const written = run(write.cmd, write.args, { input: stanza });
    if (written.status !== 0)
      throw new ServicesError(`writing ${SOURCES_FILE} failed: ${written.stderr.trim() || written.spawnError}`);
    try {
      aptUpdate(log, { sourcesFile: SOURCES_FILE });
      runChecked('apt-get', ['source', '-q', 'pgvector'], {
        cwd: workDir,
        what: `apt-get source pgvector (from ${SOURCE_SUITE})`,
        logFile: buildLogFile(),
      });
    } finally {
      const remove = privileged('rm', ['-f', SOURCES_FILE]);
      run(remove.cmd, remove.args);
    }
    const sourceDir = readdirSync(workDir, { withFileTypes: true }).find(
      (entry) => entry.isDirectory() && entry.name.startsWith('pgvector'),
    );
    if (!sourceDir) throw new ServicesError(`apt-get source pgvector unpacked nothing in ${workDir}`);
    const srcPath = join(workDir, sourceDir.name);
    runChecked('make', [`-j${availableParallelism()}`, `PG_CONFIG=${pgConfig}`], {
      cwd: srcPath,
      what: `building pgvector (${sourceDir.name})`,
      logFile: buildLogFile(),
    });
    const install = privileged('make', ['install', `PG_CONFIG=${pgConfig}`]);
    runChecked(install.cmd, install.args, { cwd: srcPath, what: `make install of pgvector`, logFile: buildLogFile() });
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
}
