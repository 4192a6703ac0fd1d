// The Node versions the app runs on. Each comes from the npm registry (the `node` package) into
// a cached tools folder, as the bootstrap fetches Node 24, unless the Node running this test is
// already of that major. Directories returned are the ones to put first in PATH.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';
import { REPO_ROOT } from '../support/env.ts';
import { mustRun, userEnv } from './processes.ts';

function major(nodeBin: string): number | undefined {
  const result = spawnSync(nodeBin, ['--version'], { encoding: 'utf8' });
  const match = /^v(\d+)\./.exec(result.stdout ?? '');
  return match === null ? undefined : Number(match[1]);
}

export async function nodeBinDir(wanted: number): Promise<string> {
  if (major(process.execPath) === wanted) return dirname(process.execPath);
  const prefix = join(REPO_ROOT, '.lanes', 'tools', `node${wanted}`);
  const bin = join(prefix, 'node_modules', '.bin');
  if (!existsSync(join(bin, 'node'))) {
    mkdirSync(prefix, { recursive: true });
    if (!existsSync(join(prefix, 'package.json'))) writeFileSync(join(prefix, 'package.json'), '{"private":true}\n');
    await mustRun(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', '--prefix', prefix, `node@${wanted}`],
      { cwd: prefix, env: userEnv([]), timeoutMs: 180_000 },
    );
  }
  const found = major(join(bin, 'node'));
  if (found !== wanted) throw new Error(`${join(bin, 'node')} is Node ${found}, expected ${wanted}`);
  return bin;
}

/** A Node older than 22 on PATH (the host's, on these machines), if there is one. */
export function olderNodeOnPath(): { dir: string; version: number } | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'node');
    const version = existsSync(candidate) ? major(candidate) : undefined;
    if (version !== undefined && version < 22) return { dir, version };
  }
  return undefined;
}
