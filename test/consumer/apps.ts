// Applications outside the repo that install Lanes from the local registry the way a user
// would: `npm init -y`, ESM, the @lanes scope pointed at the registry, everything else from npm.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../support/env.ts';
import { mustRun, run, userEnv } from './processes.ts';

export const APP_TEMPLATE = join(import.meta.dirname, 'app-template');

/** typescript and @types/node at the versions the repo itself builds with. */
export function repoToolSpecs(): string[] {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
    devDependencies: Record<string, string>;
  };
  return ['typescript', '@types/node'].map((name) => `${name}@${manifest.devDependencies[name]}`);
}

export async function npmInstall(dir: string, specs: readonly string[]): Promise<void> {
  await mustRun('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...specs], {
    cwd: dir,
    env: userEnv([]),
    timeoutMs: 240_000,
  });
}

export async function createApp(dir: string, registryUrl: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const options = { cwd: dir, env: userEnv([]) };
  await mustRun('npm', ['init', '-y'], options);
  await mustRun('npm', ['pkg', 'set', 'type=module'], options);
  writeFileSync(join(dir, '.npmrc'), `@lanes:registry=${registryUrl}\n`);
}

/** Copies template files (paths relative to app-template/) into an app. */
export function copyFromTemplate(dir: string, paths: readonly string[]): void {
  for (const path of paths) cpSync(join(APP_TEMPLATE, path), join(dir, path), { recursive: true });
}

interface NpmTreeNode {
  readonly version?: string;
  readonly dependencies?: Record<string, NpmTreeNode>;
}

export interface InstalledTree {
  /** Every package in node_modules as name@version, the app itself not counted. */
  readonly packages: ReadonlySet<string>;
  readonly names: ReadonlySet<string>;
  readonly kilobytes: number;
}

export async function installedTree(dir: string): Promise<InstalledTree> {
  const listing = await mustRun('npm', ['ls', '--all', '--json'], { cwd: dir, env: userEnv([]) });
  const packages = new Set<string>();
  const names = new Set<string>();
  const walk = (dependencies: Record<string, NpmTreeNode> | undefined): void => {
    for (const [name, node] of Object.entries(dependencies ?? {})) {
      if (node.version === undefined) continue; // an optional peer that is not installed
      names.add(name);
      packages.add(`${name}@${node.version}`);
      walk(node.dependencies);
    }
  };
  walk((JSON.parse(listing.stdout) as NpmTreeNode).dependencies);
  const du = await run('du', ['-sk', join(dir, 'node_modules')], { cwd: dir, env: userEnv([]) });
  return { packages, names, kilobytes: Number(du.stdout.split(/\s/)[0]) };
}
