import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Job } from 'bullmq';
import { DEFAULT_REMOVE_ON_COMPLETE, DEFAULT_REMOVE_ON_FAIL } from '@lanes/queue';
import { LanesClient } from '@lanes/client';
import { REDIS_URL, REPO_ROOT, uniquePrefix } from '../support/env.ts';
import { echo } from '../support/sample-tasks.ts';

const WORKER_SIDE = [
  'pg',
  'pgvector',
  'openai',
  'pdf-parse',
  '@bull-board/express',
  '@bull-board/api',
  'express',
  'prom-client',
];

/**
 * Node's lookup: the nearest node_modules/<name> from `fromDir` upwards, real path. pnpm's
 * hidden hoisting folder (.pnpm/node_modules) is skipped: it exists only inside this
 * workspace, not where the client is installed on its own.
 */
function locate(fromDir: string, name: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name, 'package.json');
    if (!dir.endsWith('/.pnpm') && existsSync(candidate)) return dirname(realpathSync(candidate));
    if (dirname(dir) === dir) return undefined;
  }
}

/**
 * What a standalone install of a package brings: its dependencies, optional dependencies and
 * required peers, recursively. Optional peers (bullmq's `pg` backend) are the user's choice;
 * inside this workspace pnpm links them because pg is installed for @lanes/tasks.
 */
function dependencyClosure(packageDir: string, seen = new Map<string, string>()): Map<string, string> {
  const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
    optionalDependencies?: Record<string, string>;
    peerDependencies?: Record<string, string>;
    peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  };
  const requiredPeers = Object.keys(manifest.peerDependencies ?? {}).filter(
    (name) => manifest.peerDependenciesMeta?.[name]?.optional !== true,
  );
  const names = [...Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies }), ...requiredPeers];
  for (const name of names) {
    const dir = locate(packageDir, name);
    if (dir === undefined || seen.has(dir)) continue; // not installed (optional or peer), or seen
    seen.set(dir, name);
    dependencyClosure(dir, seen);
  }
  return seen;
}

test('the client installs light: no database driver, parser, embedding SDK or Bull Board in its tree', () => {
  const names = new Set(dependencyClosure(join(REPO_ROOT, 'packages', 'client')).values());
  assert.ok(names.has('bullmq') && names.has('zod'), 'the walk should see the real dependencies');
  for (const heavy of WORKER_SIDE) assert.ok(!names.has(heavy), `${heavy} is in the client's dependency tree`);
});

test('retention is bounded by default on every job', async () => {
  const client = new LanesClient({ redisUrl: REDIS_URL, prefix: uniquePrefix('retention') });
  try {
    const handle = await client.enqueue(echo, { message: 'kept a while, not forever' });
    const job = await Job.fromId(client.queues.get('default'), handle.id);
    assert.deepEqual(job?.opts.removeOnComplete, DEFAULT_REMOVE_ON_COMPLETE);
    assert.deepEqual(job?.opts.removeOnFail, DEFAULT_REMOVE_ON_FAIL);
  } finally {
    await client.close();
  }
});

test('producers fail fast when Redis is unreachable instead of hanging', async () => {
  const client = new LanesClient({ redisUrl: 'redis://127.0.0.1:1', prefix: uniquePrefix('down') });
  const startedAt = Date.now();
  try {
    await assert.rejects(client.enqueue(echo, { message: 'nowhere to go' }));
    assert.ok(Date.now() - startedAt < 10_000, `took ${Date.now() - startedAt} ms to give up`);
  } finally {
    await client.close();
  }
});
