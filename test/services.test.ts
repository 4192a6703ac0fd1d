import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';

const commandModule = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), '..', 'packages', 'cli', 'src', 'commands', 'services.ts')).href;

/** Runs `lanes services ...` in a child process, so its stdout can be checked for exactly what it prints. */
function services(...args: string[]): { code: number | null; stdout: string; stderr: string; ms: number } {
  const script = `const { servicesCommand } = await import(${JSON.stringify(commandModule)}); process.exitCode = await servicesCommand.run(${JSON.stringify(args)});`;
  const started = performance.now();
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 15 * 60_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, ms: performance.now() - started };
}

test('services up brings Redis and PostgreSQL+pgvector up, status --json reports them, up is idempotent', () => {
  const first = services('up', '--quiet');
  assert.equal(first.code, 0, `up failed: ${first.stderr}`);
  assert.equal(first.stdout, '', 'up --quiet prints nothing on stdout');

  const status = services('status', '--json');
  assert.equal(status.code, 0, status.stderr);
  const doc = JSON.parse(status.stdout) as {
    redis: { url: string; reachable: boolean; managedBy: string | null; version: string | null };
    postgres: { url: string; reachable: boolean; managedBy: string | null; version: string | null; vector: string | null; error: string | null };
  };
  assert.equal(doc.redis.reachable, true, `redis: ${JSON.stringify(doc.redis)}`);
  assert.equal(doc.postgres.reachable, true, `postgres: ${JSON.stringify(doc.postgres)}`);
  assert.equal(doc.postgres.error, null);
  assert.match(doc.postgres.vector ?? '', /^\d+\.\d+/, 'the vector extension is installed');
  assert.ok(doc.redis.managedBy === 'lanes' || doc.redis.managedBy === 'external');
  assert.ok(doc.redis.version && doc.postgres.version);

  const again = services('up', '--quiet');
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stdout, '');
  assert.equal(again.stderr, '', 'nothing to do: nothing printed');
  assert.ok(again.ms < 5_000, `second up took ${Math.round(again.ms)} ms`);

  const json = services('up', '--json');
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(Object.keys(JSON.parse(json.stdout) as object).sort(), ['postgres', 'redis']);
});

test('services rejects bad usage with exit 2', () => {
  assert.equal(services('sideways').code, 2);
  assert.equal(services('up', '--nope').code, 2);
  const help = services('--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /lanes services up\|down\|status/);
});
