// Lanes as its users get it: every package packed, published to a real registry (verdaccio on
// loopback), installed with npm into an app outside the repo, compiled with the user's own tsc
// and run with `npx lanes` on Node 22 and Node 24, plus an esbuild bundle of the client alone.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { eventually, REDIS_URL, REPO_ROOT, uniquePrefix } from '../support/env.ts';
import { freePort, tempDir } from '../support/servers.ts';
import { copyFromTemplate, createApp, installedTree, npmInstall, repoToolSpecs } from './apps.ts';
import { nodeBinDir, olderNodeOnPath } from './node-runtimes.ts';
import { mustRun, run, start, userEnv, type LongRunning, type RunResult } from './processes.ts';
import { startRegistry, type LocalRegistry } from './registry.ts';

const LANES_PACKAGES = ['@lanes/contracts', '@lanes/client', '@lanes/worker-core', '@lanes/cli'];
const ESBUILD = 'esbuild@0.28.2';
/** What application code must never pull in by installing the client. */
const HEAVY = ['pg', 'openai', 'pdf-parse', 'express', 'prom-client'];
const TOOLS_BIN = join(REPO_ROOT, '.lanes', 'tools', 'node_modules', '.bin');

/** Why the test cannot run here, if the npm registry (for typescript, zod, bullmq...) is unreachable. */
async function offlineReason(): Promise<string | false> {
  const probe = await run(
    'npm',
    ['view', repoToolSpecs()[0]!, 'version', '--fetch-retries=0', '--fetch-timeout=15000'],
    { cwd: REPO_ROOT, env: userEnv([]), timeoutMs: 30_000 },
  );
  return probe.code === 0
    ? false
    : `the npm registry is unreachable (npm view exited ${probe.code}): ${probe.stderr.trim().split('\n')[0] ?? ''}`;
}

/** A payload whose expected result follows from it: a data: URL of random bytes. */
function thumbnailInput(): { url: string; width: number; bytes: number } {
  const bytes = randomBytes(100 + randomInt(900));
  return {
    url: `data:application/octet-stream;base64,${bytes.toString('base64')}`,
    width: 1 + randomInt(4096),
    bytes: bytes.length,
  };
}

/** What src/app.ts prints once both of its jobs have completed. */
function appOutput(input: { width: number; bytes: number }): unknown {
  return { greeting: 'hello Ada', bytes: input.bytes, width: input.width, state: 'completed' };
}

function jsonLine(result: RunResult): unknown {
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout);
}

/** The JSON log lines among a process's output. */
function logLines(output: string): Array<Record<string, unknown>> {
  return output.split('\n').flatMap((line) => {
    try {
      const value: unknown = JSON.parse(line);
      return typeof value === 'object' && value !== null ? [value as Record<string, unknown>] : [];
    } catch {
      return [];
    }
  });
}

const skip = await offlineReason();

describe('consumer: Lanes from a registry in an app outside the repo', { skip, timeout: 600_000 }, () => {
  const timings: string[] = [];
  /** Set up in `before`: the temp folder (outside the repo), the tour app and the client-only app in it. */
  let work = '';
  let app = '';
  let clientApp = '';
  const running: LongRunning[] = [];
  let registry: LocalRegistry | undefined;
  let tarballs: string[] = [];
  let node22 = '';
  let node24 = '';

  const timed = async <T>(label: string, step: () => Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const value = await step();
    timings.push(`${label} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    return value;
  };
  const inApp = (dir: string, nodeDir: string, extra: Record<string, string> = {}) => ({
    cwd: dir,
    env: userEnv([nodeDir], { REDIS_URL, LOG_LEVEL: 'warn', ...extra }),
    timeoutMs: 60_000,
  });
  /** `npx lanes worker`, or with `direct` the installed bin itself (as a container's CMD would run it). */
  const lanesWorker = (nodeDir: string, prefix: string, tasks: string, direct = false): LongRunning => {
    const [cmd, ...args] = [
      ...(direct ? [join(app, 'node_modules', '.bin', 'lanes')] : ['npx', 'lanes']),
      'worker',
      '--no-builtins',
      '--tasks',
      tasks,
    ];
    const worker = start(cmd!, args, inApp(app, nodeDir, { LANES_PREFIX: prefix, LOG_LEVEL: 'info' }));
    running.push(worker);
    return worker;
  };
  /**
   * SIGTERM to the worker's process group (npx runs the bin through a shell that would not
   * pass a signal on): the worker drains and stops; the exit code is npx's or the shell's.
   */
  const assertDrains = async (worker: LongRunning): Promise<void> => {
    await worker.stop();
    assert.ok(
      logLines(worker.output()).some((line) => line.msg === 'worker stopped' && line.drained === true),
      worker.output(),
    );
  };

  before(
    async () => {
      work = tempDir('consumer');
      app = join(work, 'app');
      clientApp = join(work, 'client-app');
      const packDir = join(work, 'tarballs');
      [tarballs, node22, node24] = await Promise.all([
        timed('pack', async () => {
          const packed = await mustRun(process.execPath, [join(REPO_ROOT, 'scripts', 'pack.ts'), packDir], {
            cwd: REPO_ROOT,
            env: userEnv([TOOLS_BIN]),
            timeoutMs: 120_000,
          });
          return packed.stdout.trim().split('\n');
        }),
        timed('node@22', () => nodeBinDir(22)),
        timed('node@24', () => nodeBinDir(24)),
      ]);
      mkdirSync(join(work, 'registry'));
      registry = await timed('registry up', () => startRegistry(join(work, 'registry')));
      await timed('publish', () => Promise.all(tarballs.map((tarball) => registry!.publish(tarball))));
      await Promise.all([createApp(app, registry.url), createApp(clientApp, registry.url)]);
      await Promise.all([
        timed('install app', () => npmInstall(app, [...LANES_PACKAGES, ...repoToolSpecs()])),
        timed('install client alone', () => npmInstall(clientApp, ['@lanes/client'])),
      ]);
      copyFromTemplate(app, ['tsconfig.json', 'tsconfig.typecheck.json', 'src', 'typecheck']);
    },
    { timeout: 480_000 },
  );

  after(async () => {
    await Promise.all(running.map((child) => child.stop(5_000)));
    await registry?.stop();
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });

  test('publint finds no error in any tarball', async (t) => {
    assert.deepEqual(tarballs.map((file) => basename(file)).sort(), readdirSync(join(work, 'tarballs')).sort());
    const errors: string[] = [];
    for (const tarball of tarballs) {
      const { messages, pkg } = await publint({
        pack: { tarball: new Uint8Array(readFileSync(tarball)).buffer },
        level: 'suggestion',
      });
      for (const message of messages) {
        const line = `${basename(tarball)}: ${message.type}: ${formatMessage(message, pkg, { color: false }) ?? message.code}`;
        if (message.type === 'error') errors.push(line);
        else t.diagnostic(line);
      }
    }
    t.diagnostic(`publint checked ${tarballs.length} tarballs: ${tarballs.map((file) => basename(file)).join(', ')}`);
    t.diagnostic(`set-up: ${timings.join(', ')}`);
    assert.deepEqual(errors, []);
  });

  test('the app compiles with tsc (strict, module nodenext); a wrong payload does not', async () => {
    const tsc = join(app, 'node_modules', 'typescript', 'bin', 'tsc');
    const [, wrong] = await Promise.all([
      mustRun(join(node24, 'node'), [tsc, '-p', 'tsconfig.json'], inApp(app, node24)),
      run(join(node24, 'node'), [tsc, '-p', 'tsconfig.typecheck.json'], inApp(app, node24)),
    ]);
    assert.ok(readdirSync(join(app, 'dist')).includes('tasks.js'));
    assert.notEqual(wrong.code, 0, 'the wrong payload compiled');
    const errors = wrong.stdout
      .trim()
      .split('\n')
      .filter((line) => /error TS\d+/.test(line));
    assert.ok(errors.length > 0, wrong.stdout);
    for (const line of errors)
      assert.match(
        line,
        /^typecheck\/wrong-payload\.ts\(\d+,\d+\): error TS/,
        'errors only in the file with wrong payloads',
      );
    assert.ok(
      errors.some((line) => /error TS2322: Type 'number' is not assignable to type 'string'/.test(line)),
      wrong.stdout,
    );
    assert.ok(
      errors.some((line) =>
        /error TS2353: Object literal may only specify known properties, and 'height' does not exist/.test(line),
      ),
      wrong.stdout,
    );
  });

  for (const version of [24, 22]) {
    test(`Node ${version}: npx lanes worker runs the compiled tasks; the compiled app enqueues and gets typed results`, async () => {
      const nodeDir = version === 24 ? node24 : node22;
      const prefix = uniquePrefix(`consumer${version}`);
      const worker = lanesWorker(nodeDir, prefix, './dist/tasks.js');
      const input = thumbnailInput();
      const enqueued = await run(
        join(nodeDir, 'node'),
        ['dist/app.js', input.url, String(input.width)],
        inApp(app, nodeDir, { LANES_PREFIX: prefix }),
      );
      assert.deepEqual(jsonLine(enqueued), appOutput(input));
      const viaCli = await run(
        'npx',
        ['lanes', 'enqueue', 'runtime', '--data', '{}', '--tasks', './dist/tasks.js', '--wait', '--json'],
        inApp(app, nodeDir, { LANES_PREFIX: prefix }),
      );
      const body = jsonLine(viaCli) as { jobs: Array<{ state: string; result: { node: string } }> };
      assert.deepEqual(
        body.jobs.map((job) => job.state),
        ['completed'],
      );
      assert.match(body.jobs[0]?.result.node ?? '', new RegExp(`^v${version}\\.`), 'the worker runs on this Node');
      await assertDrains(worker);
    });
  }

  test('Node 24: a .ts tasks file given to --tasks runs as it is (type stripping)', async () => {
    const prefix = uniquePrefix('consumer-ts');
    const worker = lanesWorker(node24, prefix, './src/tasks.ts', true);
    const viaCli = await run(
      'npx',
      [
        'lanes',
        'enqueue',
        'greet',
        '--data',
        '{"name":"Ada","times":2}',
        '--tasks',
        './src/tasks.ts',
        '--wait',
        '--json',
      ],
      inApp(app, node24, { LANES_PREFIX: prefix }),
    );
    const body = jsonLine(viaCli) as { jobs: Array<{ state: string; result: unknown }> };
    assert.deepEqual(
      body.jobs.map((job) => [job.state, job.result]),
      [['completed', { greeting: 'hello Ada, hello Ada' }]],
    );
    assert.equal(await worker.stop(), 0, `the bin run directly exits 0 after draining on SIGTERM:\n${worker.output()}`);
  });

  test("npx lanes dashboard --tasks: the HTTP API enqueues the app's own task and refuses a bad payload", async () => {
    const prefix = uniquePrefix('consumer-dashboard');
    const worker = lanesWorker(node24, prefix, './dist/tasks.js');
    const port = await freePort();
    const dashboard = start(
      'npx',
      ['lanes', 'dashboard', '--tasks', './dist/tasks.js', '--port', String(port)],
      inApp(app, node24, { LANES_PREFIX: prefix }),
    );
    running.push(dashboard);
    const api = `http://127.0.0.1:${port}/api/jobs`;
    await eventually(
      async () => ((await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined))?.ok ? true : undefined),
      30_000,
      `the dashboard on ${port}:\n${dashboard.output()}`,
    );
    const post = (body: unknown) =>
      fetch(api, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const accepted = await post({ task: 'greet', data: { name: 'Ada', times: 3 } });
    assert.equal(accepted.status, 202, await accepted.clone().text());
    const { id } = (await accepted.json()) as { id: string };
    const done = await eventually(
      async () => {
        const status = (await (await fetch(`${api}/${id}`)).json()) as { state: string; result: unknown };
        return status.state === 'completed' ? status : undefined;
      },
      20_000,
      `job ${id} to complete`,
    );
    assert.deepEqual(done.result, { greeting: 'hello Ada, hello Ada, hello Ada' });
    const refused = await post({ task: 'greet', data: { name: 42 } });
    assert.equal(refused.status, 400);
    assert.match(await refused.text(), /name/);
    await dashboard.stop();
    await assertDrains(worker);
  });

  test('the client alone: no server-side dependencies; an esbuild bundle of the app code runs by itself', async (t) => {
    const tree = await installedTree(clientApp);
    assert.ok(tree.names.has('@lanes/client'));
    assert.deepEqual(
      HEAVY.filter((name) => tree.names.has(name)),
      [],
      'server-side packages in the client tree',
    );
    const dependencies = [...tree.packages].filter((entry) => !entry.startsWith('@lanes/client@'));
    t.diagnostic(
      `@lanes/client alone: node_modules ${(tree.kilobytes / 1024).toFixed(1)} MiB (du -sk: ${tree.kilobytes} KiB), ${dependencies.length} dependencies: ${dependencies.sort().join(' ')}`,
    );

    await npmInstall(clientApp, ['@lanes/contracts', ESBUILD]);
    copyFromTemplate(clientApp, ['src/contracts.ts', 'src/app.ts']);
    const bundleDir = join(work, 'bundle-only');
    // ioredis and bullmq are CommonJS: an ESM bundle needs a require of its own for node: built-ins.
    const banner = "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);";
    await mustRun(
      'npx',
      [
        'esbuild',
        'src/app.ts',
        '--bundle',
        '--platform=node',
        '--format=esm',
        '--target=node22',
        `--banner:js=${banner}`,
        `--outfile=${join(bundleDir, 'app.mjs')}`,
      ],
      inApp(clientApp, node24),
    );
    assert.deepEqual(readdirSync(bundleDir), ['app.mjs'], 'one file');

    const prefix = uniquePrefix('consumer-bundle');
    const worker = lanesWorker(node24, prefix, './dist/tasks.js');
    const input = thumbnailInput();
    const enqueued = await run(
      join(node24, 'node'),
      [join(bundleDir, 'app.mjs'), input.url, String(input.width)],
      inApp(bundleDir, node24, { LANES_PREFIX: prefix }),
    );
    assert.deepEqual(jsonLine(enqueued), appOutput(input));
    t.diagnostic(`bundle: ${(readFileSync(join(bundleDir, 'app.mjs')).length / 1024).toFixed(0)} KiB`);
    await assertDrains(worker);
  });

  describe('bad input', () => {
    // A worker that starts when it should not is killed after 15 s (code null).
    const lanes = (args: string[]) =>
      run('npx', ['lanes', ...args], {
        ...inApp(app, node24, { LANES_PREFIX: uniquePrefix('consumer-bad') }),
        timeoutMs: 15_000,
      });

    test('a --tasks file that does not exist: exit 2 naming the file', async (t) => {
      const result = await lanes(['worker', '--no-builtins', '--tasks', './dist/missing.js']);
      t.diagnostic(result.stderr.trim());
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /dist\/missing\.js/);
    });

    test('a --tasks file that exports no task: exit 2 naming the file', async (t) => {
      const result = await lanes(['worker', '--no-builtins', '--tasks', './dist/no-tasks.js']);
      t.diagnostic(result.stderr.trim());
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /dist\/no-tasks\.js/);
    });

    test('a task name defined in two --tasks files: start-up stops naming both files', async (t) => {
      const result = await lanes(['worker', '--no-builtins', '--tasks', './dist/tasks.js,./dist/tasks-again.js']);
      t.diagnostic(result.stderr.trim());
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, /"?greet"?/);
      assert.match(result.stderr, /dist\/tasks\.js/);
      assert.match(result.stderr, /dist\/tasks-again\.js/);
    });

    const older = olderNodeOnPath();
    test('the installed lanes on a Node older than 22: one line naming the Node needed, exit 2', {
      skip: older === undefined && 'no Node < 22 on PATH here',
    }, async (t) => {
      const result = await run('npx', ['lanes', '--version'], { ...inApp(app, older!.dir), timeoutMs: 30_000 });
      t.diagnostic(`Node ${older!.version}: ${result.stderr.trim()}`);
      assert.equal(result.code, 2, result.stderr);
      const lines = result.stderr.trim().split('\n');
      assert.equal(lines.length, 1, result.stderr);
      assert.match(lines[0] ?? '', /Node(\.js)? >= ?22/);
      assert.equal(result.stdout, '');
    });
  });
});
