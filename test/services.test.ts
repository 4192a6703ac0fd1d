import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const cliSource = join(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'cli', 'src');

interface ChildOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** The services command's file; the CLI's own by default. */
  commandFile?: string;
}

/** Runs `lanes services ...` in a child process, so its stdout can be checked for exactly what it prints. */
function services(
  args: readonly string[],
  options: ChildOptions = {},
): { code: number | null; stdout: string; stderr: string; ms: number } {
  const { commandFile = join(cliSource, 'commands', 'services.ts'), ...spawnOptions } = options;
  const script = `const { servicesCommand } = await import(${JSON.stringify(pathToFileURL(commandFile).href)}); process.exitCode = await servicesCommand.run(${JSON.stringify(args)});`;
  const started = performance.now();
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 15 * 60_000,
    ...spawnOptions,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, ms: performance.now() - started };
}

test('services up brings Redis and PostgreSQL+pgvector up, status --json reports them, up is idempotent', () => {
  const first = services(['up', '--quiet']);
  assert.equal(first.code, 0, `up failed: ${first.stderr}`);
  assert.equal(first.stdout, '', 'up --quiet prints nothing on stdout');

  const status = services(['status', '--json']);
  assert.equal(status.code, 0, status.stderr);
  const doc = JSON.parse(status.stdout) as {
    redis: { url: string; reachable: boolean; managedBy: string | null; version: string | null };
    postgres: {
      url: string;
      reachable: boolean;
      managedBy: string | null;
      version: string | null;
      vector: string | null;
      error: string | null;
    };
  };
  assert.equal(doc.redis.reachable, true, `redis: ${JSON.stringify(doc.redis)}`);
  assert.equal(doc.postgres.reachable, true, `postgres: ${JSON.stringify(doc.postgres)}`);
  assert.equal(doc.postgres.error, null);
  assert.match(doc.postgres.vector ?? '', /^\d+\.\d+/, 'the vector extension is installed');
  assert.ok(doc.redis.managedBy === 'lanes' || doc.redis.managedBy === 'external');
  assert.ok(doc.redis.version && doc.postgres.version);
  assert.match(doc.redis.version, /^\d+\.\d+\.\d+/, 'the version INFO reports');

  const again = services(['up', '--quiet']);
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, '');
  assert.equal(again.stderr, '', 'nothing to do: nothing printed');
  assert.ok(again.ms < 5_000, `second up took ${Math.round(again.ms)} ms`);

  const json = services(['up', '--json']);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(Object.keys(JSON.parse(json.stdout) as object).sort(), ['postgres', 'redis']);
});

test('services rejects bad usage with exit 2', () => {
  assert.equal(services(['sideways']).code, 2);
  assert.equal(services(['up', '--nope']).code, 2);
  const help = services(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /lanes services up\|down\|status/);
});

/** The Redis data directory `status --json` reports when run in `cwd` (it names one that exists). */
function reportedRedisDir(cwd: string, env: NodeJS.ProcessEnv = {}): string | null {
  const { REDIS_URL: _redis, DATABASE_URL: _database, ...inherited } = process.env;
  const result = services(['status', '--json'], { cwd, env: { ...inherited, ...env } });
  return (JSON.parse(result.stdout) as { redis: { dataDir: string | null } }).redis.dataDir;
}

test('services keeps its state in .lanes/services of the workspace root above the working directory, or in LANES_SERVICES_DIR', (t) => {
  const scratch = mkdtempSync(join(tmpdir(), 'lanes-services-root-'));
  t.after(() => rmSync(scratch, { recursive: true, force: true }));
  const npmWorkspace = join(scratch, 'npm-app');
  mkdirSync(join(npmWorkspace, 'packages', 'web'), { recursive: true });
  writeFileSync(join(npmWorkspace, 'package.json'), JSON.stringify({ private: true, workspaces: ['packages/*'] }));
  writeFileSync(join(npmWorkspace, 'packages', 'web', 'package.json'), JSON.stringify({ name: 'web' }));
  const pnpmWorkspace = join(scratch, 'pnpm-app');
  mkdirSync(join(pnpmWorkspace, 'src'), { recursive: true });
  writeFileSync(join(pnpmWorkspace, 'pnpm-workspace.yaml'), 'packages: []\n');
  const plain = join(scratch, 'plain', 'sub');
  for (const root of [npmWorkspace, pnpmWorkspace, plain])
    mkdirSync(join(root, '.lanes', 'services', 'redis'), { recursive: true });
  mkdirSync(join(npmWorkspace, 'elsewhere', 'redis'), { recursive: true });

  assert.equal(
    reportedRedisDir(join(npmWorkspace, 'packages', 'web')),
    join(npmWorkspace, '.lanes', 'services', 'redis'),
  );
  assert.equal(reportedRedisDir(join(pnpmWorkspace, 'src')), join(pnpmWorkspace, '.lanes', 'services', 'redis'));
  assert.equal(
    reportedRedisDir(plain),
    join(plain, '.lanes', 'services', 'redis'),
    'no workspace above: the working directory',
  );
  assert.equal(
    reportedRedisDir(join(npmWorkspace, 'packages'), { LANES_SERVICES_DIR: 'elsewhere' }),
    join(npmWorkspace, 'elsewhere', 'redis'),
    'relative to the project',
  );
  assert.equal(
    reportedRedisDir(plain, { LANES_SERVICES_DIR: join(npmWorkspace, 'elsewhere') }),
    join(npmWorkspace, 'elsewhere', 'redis'),
  );
});

/** A loopback port nothing listens on: one the kernel just handed out and we closed again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface RedisStatusDoc {
  url: string;
  source: string;
  reachable: boolean;
  managedBy: string | null;
  error: string | null;
}

function redisStatusWith(redisUrl: string): { code: number | null; redis: RedisStatusDoc } {
  const result = services(['status', '--json'], { env: { ...process.env, REDIS_URL: redisUrl } });
  return { code: result.code, redis: (JSON.parse(result.stdout) as { redis: RedisStatusDoc }).redis };
}

test('services status reports a Redis that does not answer as not reachable, saying why', async () => {
  const port = await closedPort();
  const closed = redisStatusWith(`redis://127.0.0.1:${port}`);
  assert.equal(closed.code, 1, 'a service is not usable');
  assert.equal(closed.redis.source, 'env');
  assert.equal(closed.redis.reachable, false);
  assert.equal(closed.redis.managedBy, null);
  assert.match(closed.redis.error ?? '', new RegExp(`ECONNREFUSED 127\\.0\\.0\\.1:${port}`));

  const running = new URL(process.env.REDIS_URL || 'redis://127.0.0.1:6379');
  running.username = 'lanes-no-such-user';
  running.password = 'not-the-password';
  const refused = redisStatusWith(running.href);
  assert.equal(refused.redis.reachable, false);
  assert.match(refused.redis.error ?? '', /WRONGPASS/);
  assert.equal(refused.redis.url.includes('not-the-password'), false, 'the password is not printed');
});

test('lanes services where @lanes/services is not installed says how to get it and exits 2', (t) => {
  // The command's file alone, outside any node_modules that holds the package (it needs only
  // ../command.ts besides): as in an application that installed @lanes/cli and not @lanes/services.
  const alone = mkdtempSync(join(tmpdir(), 'lanes-cli-alone-'));
  t.after(() => rmSync(alone, { recursive: true, force: true }));
  mkdirSync(join(alone, 'commands'));
  copyFileSync(join(cliSource, 'command.ts'), join(alone, 'command.ts'));
  copyFileSync(join(cliSource, 'commands', 'services.ts'), join(alone, 'commands', 'services.ts'));

  const result = services(['status', '--json'], { commandFile: join(alone, 'commands', 'services.ts'), cwd: alone });
  assert.equal(result.code, 2);
  assert.equal(result.stdout, '');
  assert.equal(
    result.stderr,
    'lanes services needs the @lanes/services package: npm install --save-dev @lanes/services\n',
  );
  assert.equal(
    services(['--help'], { commandFile: join(alone, 'commands', 'services.ts') }).code,
    0,
    'help needs no package',
  );
});
