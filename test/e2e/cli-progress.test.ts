// What `lanes ingest --wait` and `lanes enqueue --wait` show while they wait: on a terminal (a
// real pseudo-terminal through util-linux `script`) a progress bar per document; on a pipe
// plain stage lines on stderr; with --json nothing but the one document on stdout; and a
// --timeout that expires says so on stderr and exits 1.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { dropRagState, FIXTURES, ragTestEnv } from '../rag/helpers.ts';
import { eventually, REPO_ROOT } from '../support/env.ts';
import { CLI, runCli } from '../support/workers.ts';

const SCRIPT = '/usr/bin/script';
const shellQuote = (arg: string): string => `'${arg.replaceAll("'", `'\\''`)}'`;

/** Runs the CLI on a pseudo-terminal of its own; returns everything the terminal received. */
function runOnTerminal(
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string }> {
  // A wide terminal, so the bars' lines are not cut at 80 columns.
  const command = `stty cols 160 rows 40; exec ${[process.execPath, CLI, ...args].map(shellQuote).join(' ')}`;
  return new Promise((resolve) => {
    const child = spawn(SCRIPT, ['-qefc', command, '/dev/null'], {
      cwd: REPO_ROOT,
      env: { ...env, TERM: 'xterm' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('progress while waiting', { skip: existsSync(SCRIPT) ? false : 'util-linux script not found' }, () => {
  const env = ragTestEnv('progress', { LOG_LEVEL: 'info' });
  const worker = spawn(process.execPath, [CLI, 'worker', '--concurrency', '2'], {
    cwd: REPO_ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let workerLog = '';
  worker.stderr.on('data', (chunk: Buffer) => (workerLog += chunk.toString()));
  const exited = new Promise((resolve) => worker.on('exit', resolve));

  before(async () => {
    await eventually(
      async () => (workerLog.includes('worker started') ? true : undefined),
      30_000,
      'the worker to start',
    );
  });
  after(async () => {
    worker.kill('SIGTERM');
    await exited;
    await dropRagState(env);
  });

  test('on a terminal: a bar per document that reaches 100 %, with pages and chunks, then the results', {
    timeout: 120_000,
  }, async () => {
    const pdfs = ['libtasn1-manual.pdf', 'shared-mime-info-spec.pdf'].map((name) => join(FIXTURES, 'pdf', name));
    const run = await runOnTerminal(['ingest', ...pdfs, '--wait'], env);
    assert.equal(run.code, 0, run.output.slice(-3000));
    assert.match(run.output, /\u001b\[/, 'the bars are redrawn in place with terminal escapes');
    assert.match(run.output, /░/, 'a bar was drawn');
    assert.match(
      run.output,
      /█{24} 100% \| test\/fixtures\/pdf\/libtasn1-manual\.pdf \| done pages 36\/36 chunks \d+\/\d+/,
    );
    assert.match(
      run.output,
      /█{24} 100% \| test\/fixtures\/pdf\/shared-mime-info-spec\.pdf \| done pages 17\/17 chunks \d+\/\d+/,
    );
    assert.match(run.output, /ingest completed/);
  });

  test('on a pipe: stage lines on stderr, no escapes; stdout holds only the results', { timeout: 60_000 }, async () => {
    const run = await runCli(['ingest', join(REPO_ROOT, 'samples', 'lanes-architecture.md'), '--wait'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stderr + run.stdout, /\u001b\[/);
    const lines = run.stderr.trim().split('\n');
    assert.ok(lines.length >= 2 && lines.length <= 8, run.stderr);
    for (const line of lines) assert.match(line, /^lanes: samples\/lanes-architecture\.md: /);
    assert.match(lines.at(-1)!, /: done pages 1\/1 chunks \d+\/\d+$/);
    assert.match(run.stdout, /^\S+ ingest completed\n\{/);
  });

  test('with --json, on a terminal too: nothing but the one JSON document', { timeout: 60_000 }, async () => {
    const piped = await runCli(
      ['ingest', join(REPO_ROOT, 'samples', 'operations-runbook.md'), '--wait', '--json'],
      env,
    );
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stderr, '');
    assert.equal((JSON.parse(piped.stdout) as { jobs: Array<{ state: string }> }).jobs[0]!.state, 'completed');
    const tty = await runOnTerminal(
      ['ingest', join(REPO_ROOT, 'samples', 'embedding-costs.txt'), '--wait', '--json'],
      env,
    );
    assert.equal(tty.code, 0, tty.output);
    assert.doesNotMatch(tty.output, /\u001b\[/);
    assert.equal((JSON.parse(tty.output) as { jobs: Array<{ state: string }> }).jobs[0]!.state, 'completed');
  });

  test('--wait --timeout that expires says so on stderr and exits 1', { timeout: 30_000 }, async () => {
    const run = await runCli(
      [
        'enqueue',
        'ingest',
        '--data',
        '{"text":"later","source":"notes/later.md"}',
        '--delay',
        '600000',
        '--wait',
        '--timeout',
        '500',
        '--json',
      ],
      env,
    );
    assert.equal(run.code, 1);
    assert.match(
      run.stderr,
      /^lanes: timed out after 500 ms waiting for job \S+ \(ingest \S+\), which is still delayed\n$/,
    );
    assert.equal((JSON.parse(run.stdout) as { jobs: Array<{ state: string }> }).jobs[0]!.state, 'delayed');
  });
});
