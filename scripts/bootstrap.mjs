#!/usr/bin/env node
// Entry point for `npm run demo`, `npm test` and friends. Plain JavaScript on purpose: it must
// run on whatever Node the host has (20 is common and past end of life), fetch a Node >= 22
// runtime and pnpm into .lanes/tools when needed, install dependencies, bring up services,
// and then hand over to the TypeScript code running on the modern runtime.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { handOver } from './hand-over.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const toolsDir = join(root, '.lanes', 'tools');
const toolsBin = join(toolsDir, 'node_modules', '.bin');
const NODE_SPEC = 'node@24';
const PNPM_SPEC = 'pnpm@10.34.9';
const MIN_NODE_MAJOR = 22;
const CLI_MAIN = join(root, 'packages', 'cli', 'src', 'main.ts');

function log(message) {
  process.stderr.write(`[lanes] ${message}\n`);
}

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, {
    stdio: options.quiet ? 'pipe' : 'inherit',
    cwd: root,
    env: options.env ?? process.env,
  });
  if (result.status !== 0) {
    if (options.quiet) process.stderr.write(`${result.stdout ?? ''}${result.stderr ?? ''}`);
    throw new Error(`${cmd} ${args.join(' ')} exited with ${result.status ?? result.signal}`);
  }
  return result;
}

function hostNodeIsModern() {
  return Number(process.versions.node.split('.')[0]) >= MIN_NODE_MAJOR;
}

/** Node >= 22 and pnpm, installed from the npm registry into .lanes/tools when missing. */
function ensureTools() {
  const wanted = [];
  if (!hostNodeIsModern() && !existsSync(join(toolsBin, 'node'))) wanted.push(NODE_SPEC);
  if (!existsSync(join(toolsBin, 'pnpm'))) wanted.push(PNPM_SPEC);
  if (wanted.length > 0) {
    log(`installing ${wanted.join(' and ')} into .lanes/tools`);
    mkdirSync(toolsDir, { recursive: true });
    if (!existsSync(join(toolsDir, 'package.json')))
      writeFileSync(join(toolsDir, 'package.json'), '{"private":true}\n');
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', toolsDir, ...wanted], {
      quiet: true,
    });
  }
  const nodeBin = hostNodeIsModern() ? process.execPath : join(toolsBin, 'node');
  const env = {
    ...process.env,
    PATH: `${dirname(nodeBin)}:${toolsBin}:${join(root, 'node_modules', '.bin')}:${process.env.PATH ?? ''}`,
  };
  return { nodeBin, pnpmBin: join(toolsBin, 'pnpm'), env };
}

/** Every manifest of the workspace: a change to any (a dependency, a bin) needs an install. */
function manifests() {
  const workspaceDirs = ['packages', 'test', 'bench'].flatMap((dir) => {
    const full = join(root, dir);
    if (!existsSync(full)) return [];
    if (existsSync(join(full, 'package.json'))) return [full];
    return readdirSync(full).map((name) => join(full, name));
  });
  return [root, ...workspaceDirs]
    .map((dir) => join(dir, 'package.json'))
    .filter((file) => existsSync(file))
    .sort();
}

/** `pnpm install` only when the lockfile or a manifest changed since the last successful install. */
function ensureDependencies(tools) {
  const lockfile = join(root, 'pnpm-lock.yaml');
  const stampFile = join(root, 'node_modules', '.lanes-install-stamp');
  const hash = createHash('sha256').update(existsSync(lockfile) ? readFileSync(lockfile) : '');
  for (const file of manifests()) hash.update(file).update(readFileSync(file));
  const stamp = hash.digest('hex');
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return;
  log('installing dependencies with pnpm');
  const frozen = existsSync(lockfile) && process.env.CI ? ['--frozen-lockfile'] : [];
  run(tools.pnpmBin, ['install', '--reporter=silent', '--config.confirmModulesPurge=false', ...frozen], {
    env: tools.env,
  });
  writeFileSync(stampFile, stamp);
}

function lanes(tools, args, options = {}) {
  return spawnSync(tools.nodeBin, [CLI_MAIN, ...args], {
    stdio: options.stdio ?? 'inherit',
    cwd: root,
    env: tools.env,
  });
}

function ensureServices(tools) {
  const result = lanes(tools, ['services', 'up', '--quiet']);
  if (result.status !== 0) throw new Error('lanes services up failed');
}

/** What each npm script hands over to, on the modern Node, and whether it needs the servers. */
const ENTRY_POINTS = {
  setup: { services: true },
  lanes: { script: CLI_MAIN, services: false },
  demo: { script: join('scripts', 'demo.ts'), services: true },
  test: { script: join('scripts', 'test.ts'), services: true },
  bench: { script: join('bench', 'run.ts'), services: true },
  build: { script: join('scripts', 'build.ts'), services: false },
  pack: { script: join('scripts', 'pack.ts'), services: false },
};

const [command = 'setup', ...rest] = process.argv.slice(2);
const entry = ENTRY_POINTS[command];
if (entry === undefined) {
  log(`unknown bootstrap command: ${command} (one of ${Object.keys(ENTRY_POINTS).join(', ')})`);
  process.exit(2);
}
try {
  const tools = ensureTools();
  ensureDependencies(tools);
  if (entry.services) ensureServices(tools);
  if (entry.script !== undefined)
    handOver(tools.nodeBin, [resolve(root, entry.script), ...rest], { cwd: root, env: tools.env });
} catch (error) {
  log(error instanceof Error ? error.message : String(error));
  process.exit(1);
}
