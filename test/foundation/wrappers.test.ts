// The wrappers users start Lanes through (the bootstrap behind npm scripts, the repo's bin shim,
// pnpm) must behave like the worker they start: SIGTERM drains it, nothing is left orphaned,
// and `--json` output stays one JSON document.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LanesClient } from '@lanes/client';
import { eventually, REDIS_URL, REPO_ROOT, uniquePrefix } from '../support/env.ts';
import { runCli, SAMPLE_TASKS, spawnWorker, type Launcher } from '../support/workers.ts';
import { slow } from '../support/sample-tasks.ts';

const HOST_NODE = '/usr/bin/node';
const SHIM = join(REPO_ROOT, 'packages', 'cli', 'bin', 'lanes.mjs');

const bootstrap: Launcher = (cliArgs) => ({
  command: process.execPath,
  args: [join(REPO_ROOT, 'scripts', 'bootstrap.mjs'), 'lanes', ...cliArgs],
});
/** The shim on the host's Node: below 22 it starts the CLI on the project's Node 24 as a child. */
const shimOnHostNode: Launcher = (cliArgs) => ({ command: HOST_NODE, args: [SHIM, ...cliArgs] });
const pnpmLanes: Launcher = (cliArgs) => ({ command: 'pnpm', args: ['lanes', ...cliArgs] });

/** The host's own Node major version: below 22 the shim starts the CLI as a child process. */
function hostNodeMajor(): number | undefined {
  try {
    return Number(execFileSync(HOST_NODE, ['--version'], { encoding: 'utf8' }).trim().replace(/^v/, '').split('.')[0]);
  } catch {
    return undefined;
  }
}

describe('wrappers', () => {
  const clients: LanesClient[] = [];
  after(() => Promise.all(clients.map((c) => c.close())));

  async function drainsOnSigterm(
    launcher: Launcher,
    label: string,
  ): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const prefix = uniquePrefix(`wrap-${label}`);
    const client = new LanesClient({ redisUrl: REDIS_URL, prefix });
    clients.push(client);
    const worker = spawnWorker(prefix, [], {}, launcher);
    const handle = await client.enqueue(slow, { ms: 1500 });
    await eventually(
      async () => ((await client.status(handle.id)).state === 'active' ? true : undefined),
      60_000,
      `job ${handle.id} to start`,
    );
    worker.process.kill('SIGTERM');
    const exit = await worker.exited;
    // The job in flight finished: the worker got the signal and drained instead of being orphaned or killed.
    await eventually(
      async () => ((await client.status(handle.id)).state === 'completed' ? true : undefined),
      20_000,
      'the job in flight to complete',
    );
    const queue = client.queues.get('default');
    await eventually(
      async () => ((await queue.getWorkers()).length === 0 ? true : undefined),
      20_000,
      'no worker left connected',
    );
    return exit;
  }

  test('SIGTERM to the bootstrap (npm scripts) drains the worker and passes its exit code on', async () => {
    const exit = await drainsOnSigterm(bootstrap, 'bootstrap');
    assert.deepEqual(exit, { code: 0, signal: null });
  });

  const major = hostNodeMajor();
  test('SIGTERM to the bin shim on an older host Node drains the worker it started and exits 0', {
    skip:
      major === undefined || major >= 22
        ? `the host Node (${HOST_NODE}) is ${major ?? 'missing'}: the shim runs the CLI in-process`
        : false,
  }, async () => {
    const exit = await drainsOnSigterm(shimOnHostNode, 'shim');
    assert.deepEqual(exit, { code: 0, signal: null });
  });

  test('SIGTERM to `pnpm lanes worker` reaches the worker, which drains; no worker is left behind', async () => {
    await drainsOnSigterm(pnpmLanes, 'pnpm');
  });

  test('`pnpm lanes ... --json` and the bootstrap print one JSON document on stdout, nothing else', async () => {
    const prefix = uniquePrefix('wrap-json');
    const client = new LanesClient({ redisUrl: REDIS_URL, prefix });
    clients.push(client);
    const handle = await client.enqueue(slow, { ms: 1 });
    for (const launcher of [pnpmLanes, bootstrap]) {
      const result = await runCli(['status', handle.id, '--json'], { LANES_PREFIX: prefix }, launcher);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(JSON.parse(result.stdout).state, 'waiting', result.stdout);
    }
  });
});

describe('--tasks modules', () => {
  // Inside the repo, so the modules resolve @lanes/* as an app's own files would.
  mkdirSync(join(REPO_ROOT, '.lanes', 'tmp'), { recursive: true });
  const dir = mkdtempSync(join(REPO_ROOT, '.lanes', 'tmp', 'tasks-'));
  const noTasks = join(dir, 'no-tasks.mjs');
  writeFileSync(noTasks, 'export const notATask = 42;\n');
  const again = join(dir, 'again.ts');
  writeFileSync(
    again,
    `import { defineTask } from '@lanes/worker-core';\nimport { z } from '@lanes/contracts';\nexport const slowAgain = defineTask({ name: 'slow', lane: 'low', schema: z.object({}), handler: async () => 1 });\n`,
  );

  test('a module that does not exist: exit 2 naming the file', async () => {
    const missing = join(dir, 'missing.js');
    const result = await runCli(['worker', '--no-builtins', '--tasks', missing]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, new RegExp(`task module ${missing} does not exist`));
  });

  test('a module that exports no task: exit 2 naming the file', async () => {
    const result = await runCli(['enqueue', 'anything', '--data', '{}', '--tasks', noTasks]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, new RegExp(`task module ${noTasks} exports no task`));
  });

  test('a task name defined twice across modules stops start-up naming both files', async () => {
    const result = await runCli(['worker', '--no-builtins', '--tasks', `${SAMPLE_TASKS},${again}`]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /task "slow" is defined twice/);
    assert.ok(result.stderr.includes(SAMPLE_TASKS) && result.stderr.includes(again), result.stderr);
  });
});
