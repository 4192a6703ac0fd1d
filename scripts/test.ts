// `npm test`, after the bootstrap has brought Node, dependencies and services: lint, typecheck, then
// every test file under test/ with Node's own runner against the real Redis and PostgreSQL.
import { spawnSync } from 'node:child_process';
import { globSync } from 'node:fs';
import { join } from 'node:path';
import { createLog, ensurePackages } from '@lanes/services';

const root = join(import.meta.dirname, '..');
const filter = process.argv.slice(2);

function step(title: string, cmd: string, args: string[]): number {
  process.stderr.write(`\n[lanes test] ${title}\n`);
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: process.env });
  return result.status ?? 1;
}

// Tools some tests drive for real: Chromium (dashboard in a browser), promtool (metrics and
// alert rules), qpdf and poppler (document fixtures, extraction baseline). Where they cannot be
// installed (no apt, no root) the tests that need them skip and say why.
const TEST_TOOLS = ['chromium', 'prometheus', 'qpdf', 'poppler-utils'];
try {
  ensurePackages(TEST_TOOLS, createLog({ quiet: true }), 'the browser, metrics and document tests');
} catch (error) {
  process.stderr.write(
    `[lanes test] warning: ${error instanceof Error ? error.message : String(error)}; tests needing them will skip\n`,
  );
}

const lint = step('lint and format (biome)', process.execPath, [
  join(root, 'node_modules', '@biomejs', 'biome', 'bin', 'biome'),
  'check',
  '.',
]);
if (lint !== 0) process.exit(lint);

const typecheck = step('typecheck (tsc --noEmit)', process.execPath, [
  join(root, 'node_modules', 'typescript', 'bin', 'tsc'),
  '-p',
  'tsconfig.json',
]);
if (typecheck !== 0) process.exit(typecheck);

const files = globSync('test/**/*.test.ts', { cwd: root })
  .filter((file) => filter.length === 0 || filter.some((f) => file.includes(f)))
  .sort();
// With no file arguments `node --test` would look for tests everywhere itself.
if (files.length === 0) {
  process.stderr.write(`[lanes test] no test file matches ${filter.join(', ')}\n`);
  process.exit(2);
}
const code = step(`${files.length} test files`, process.execPath, [
  '--test',
  '--test-reporter=spec',
  '--test-concurrency=2',
  '--test-timeout=180000',
  ...files,
]);
process.exit(code);
