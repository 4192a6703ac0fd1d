import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ServicesError } from './errors.ts';
import { privileged, run, runChecked, which } from './exec.ts';
import type { ServicesLog } from './log.ts';
import { logsDir } from './paths.ts';

const APT_ENV = { DEBIAN_FRONTEND: 'noninteractive', NEEDRESTART_MODE: 'a' } as const;
const POLICY_RC_D = '/usr/sbin/policy-rc.d';
const POLICY_MARKER = '# written by lanes services';

export function aptLogFile(): string {
  return join(logsDir(), 'apt.log');
}

/** True when dpkg has the package fully installed. */
export function isInstalled(pkg: string): boolean {
  const result = run('dpkg-query', ['-W', '-f=${db:Status-Abbrev}', pkg]);
  return result.status === 0 && result.stdout.startsWith('ii');
}

/** The version apt would install, or null when apt knows no installable version. */
export function candidateVersion(pkg: string): string | null {
  const result = run('apt-cache', ['policy', pkg]);
  const match = /^\s*Candidate:\s*(\S+)/m.exec(result.stdout);
  const version = match?.[1];
  return version && version !== '(none)' ? version : null;
}

const LISTS_DIR = '/var/lib/apt/lists';

function packageLists(): string[] {
  try {
    return readdirSync(LISTS_DIR).filter((name) => name.endsWith('_Packages') || name.includes('_Packages.'));
  } catch {
    return [];
  }
}

function hasPackageLists(): boolean {
  return packageLists().length > 0;
}

/** `apt-get update` when there are no package lists or the newest is older than `maxAgeMs`. */
export function aptUpdateIfStale(log: ServicesLog, maxAgeMs: number): void {
  const newest = Math.max(0, ...packageLists().map((name) => statSync(join(LISTS_DIR, name)).mtimeMs));
  if (Date.now() - newest > maxAgeMs) aptUpdate(log);
}

let updatedThisRun = false;

/**
 * `apt-get update`. With `sourcesFile`, only that one source is refreshed (fast, and it leaves
 * the other lists alone).
 */
export function aptUpdate(log: ServicesLog, options: { sourcesFile?: string } = {}): void {
  if (!options.sourcesFile && updatedThisRun) return;
  const args = ['update', '-q'];
  if (options.sourcesFile) {
    args.push(
      '-o',
      `Dir::Etc::SourceList=${options.sourcesFile}`,
      '-o',
      'Dir::Etc::SourceParts=/nonexistent',
      '-o',
      'APT::Get::List-Cleanup=0',
    );
  }
  log.action(options.sourcesFile ? `apt-get update (${options.sourcesFile} only)` : 'apt-get update');
  const invocation = privileged('apt-get', args, APT_ENV);
  runChecked(invocation.cmd, invocation.args, { what: 'apt-get update', logFile: aptLogFile() });
  if (!options.sourcesFile) updatedThisRun = true;
}

/**
 * Installs the packages that are not installed yet, quietly; runs `apt-get update` first only
 * when apt does not know one of them (or has no lists at all). Returns the packages installed.
 */
export function ensurePackages(packages: readonly string[], log: ServicesLog, why: string): string[] {
  const missing = packages.filter((pkg) => !isInstalled(pkg));
  if (missing.length === 0) return [];
  if (!which('apt-get')) {
    throw new ServicesError(
      `${why} needs ${missing.join(', ')} but apt-get is missing (not Debian/Ubuntu): install them yourself`,
    );
  }
  if (!hasPackageLists() || missing.some((pkg) => candidateVersion(pkg) === null)) aptUpdate(log);
  const unknown = missing.filter((pkg) => candidateVersion(pkg) === null);
  if (unknown.length > 0)
    throw new ServicesError(`apt has no installable package ${unknown.join(', ')} (needed for ${why})`);

  log.action(`installing ${missing.join(' ')} with apt-get (${why})`);
  try {
    install(missing);
  } catch (error) {
    // Stale lists point at files the mirror no longer has: refresh once and retry.
    if (updatedThisRun) throw error;
    aptUpdate(log);
    install(missing);
  }
  return missing;
}

function install(packages: readonly string[]): void {
  const invocation = privileged(
    'apt-get',
    [
      'install',
      '-y',
      '-q',
      '--no-install-recommends',
      '-o',
      'Dpkg::Options::=--force-confdef',
      '-o',
      'Dpkg::Options::=--force-confold',
      ...packages,
    ],
    APT_ENV,
  );
  withoutServiceStarts(() =>
    runChecked(invocation.cmd, invocation.args, {
      what: `apt-get install ${packages.join(' ')}`,
      logFile: aptLogFile(),
    }),
  );
}

/**
 * Packages like redis-server and postgresql start their own daemons from their maintainer scripts
 * (through invoke-rc.d) where no systemd runs. We start our own, so a policy-rc.d that refuses
 * (exit 101) is in place during installs when the machine has none.
 */
function withoutServiceStarts<T>(fn: () => T): T {
  removeStalePolicy();
  if (existsSync(POLICY_RC_D)) return fn();
  const write = privileged('sh', [
    '-c',
    `printf '#!/bin/sh\\n${POLICY_MARKER}; safe to delete\\nexit 101\\n' > ${POLICY_RC_D} && chmod 755 ${POLICY_RC_D}`,
  ]);
  runChecked(write.cmd, write.args, { what: `writing ${POLICY_RC_D}` });
  try {
    return fn();
  } finally {
    removeStalePolicy();
  }
}

function removeStalePolicy(): void {
  try {
    if (!readFileSync(POLICY_RC_D, 'utf8').includes(POLICY_MARKER)) return;
  } catch {
    return;
  }
  const remove = privileged('rm', ['-f', POLICY_RC_D]);
  run(remove.cmd, remove.args);
}
