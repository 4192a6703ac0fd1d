// Keeps `pnpm bench` working: a tiny run of two suites must write both reports with numbers in
// them. No timing is asserted here; the figures of a --quick run mean nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REDIS_URL, REPO_ROOT } from './support/env.ts';

interface Row {
  metric: string;
  lanes: number | null;
  baseline: number | null;
  ratio: number | null;
}

function runBench(args: string[]): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bench', 'run.ts'), ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, REDIS_URL },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

test('bench --quick writes the JSON report and the Markdown table with figures', async () => {
  const out = mkdtempSync(join(tmpdir(), 'lanes-bench-'));
  try {
    const { code, output } = await runBench(['--quick', '--only', 'overhead,lane-priority', '--out', out]);
    assert.equal(code, 0, output);
    const jsonPath = join(out, 'latest.json');
    const mdPath = join(out, 'latest.md');
    assert.ok(existsSync(jsonPath) && existsSync(mdPath), 'both report files exist');

    const report = JSON.parse(readFileSync(jsonPath, 'utf8')) as {
      machine: { cores: number; node: string; bullmq: string | null; redis: string | null };
      suites: Array<{ suite: string; rows: Row[] }>;
      errors: unknown[];
    };
    assert.deepEqual(report.errors, []);
    assert.ok(report.machine.cores > 0);
    assert.equal(report.machine.node, process.versions.node);
    assert.ok(report.machine.bullmq !== null && report.machine.redis !== null);
    assert.deepEqual(
      report.suites.map((s) => s.suite),
      ['overhead', 'lane-priority'],
    );
    for (const suite of report.suites) {
      assert.ok(suite.rows.length > 0, `${suite.suite} has rows`);
      for (const row of suite.rows) {
        for (const field of ['lanes', 'baseline', 'ratio'] as const) {
          assert.ok(
            typeof row[field] === 'number' && Number.isFinite(row[field]) && row[field] >= 0,
            `${suite.suite} / ${row.metric}: ${field} is a number (${row[field]})`,
          );
        }
      }
    }

    const markdown = readFileSync(mdPath, 'utf8');
    assert.match(markdown, /\| Suite \| Metric \| Lanes \| Baseline/);
    assert.match(
      markdown,
      /\| overhead \| processing throughput \| [\d,.]+ jobs\/s \| [\d,.]+ jobs\/s \(raw BullMQ\) \| [\d.]+ \|/,
    );
    assert.match(markdown, /\| lane-priority \| critical wait p95 \| [\d,.]+ ms \|/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
