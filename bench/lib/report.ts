import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MachineInfo } from './machine.ts';
import type { BenchRow, SuiteResult } from './types.ts';

export interface BenchReport {
  readonly machine: MachineInfo;
  readonly args: readonly string[];
  readonly quick: boolean;
  readonly large: boolean;
  readonly durationMs: number;
  /** 1-minute load average at the start and at the end: the machine is shared, so this says how quiet it was. */
  readonly loadAverage: { readonly start: number; readonly end: number };
  readonly suites: readonly SuiteResult[];
  readonly errors: ReadonlyArray<{ suite: string; message: string }>;
}

function num(value: number | null | undefined): string {
  if (value === null || value === undefined) return 'n/a';
  return Math.abs(value) >= 1000 ? Math.round(value).toLocaleString('en-US') : String(value);
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function met(row: BenchRow): string {
  if (row.met === null) return row.target === '' ? '' : 'n/a';
  return row.met ? 'yes' : '**no**';
}

function rowLine(suite: string, row: BenchRow): string {
  const others = (row.others ?? []).map((o) => `${o.name}: ${num(o.value)}`);
  const notes = [...others, ...(row.note !== undefined ? [row.note] : [])].join('; ');
  const unit = row.unit === '' ? '' : ` ${row.unit}`;
  const baseline =
    row.baseline === null && row.baselineName === '' ? '' : `${num(row.baseline)}${unit} (${row.baselineName})`;
  return `| ${cell(suite)} | ${cell(row.metric)} | ${num(row.lanes)}${unit} | ${cell(baseline)} | ${num(row.ratio)} | ${cell(row.target)} | ${met(row)} | ${cell(notes)} |`;
}

/** The Markdown table that goes in the README: every figure next to its same-run baseline. */
export function renderMarkdown(report: BenchReport): string {
  const m = report.machine;
  const lines = [
    `Measured ${m.date.slice(0, 10)} on ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}; ` +
      `Node ${m.node}, BullMQ ${m.bullmq ?? '?'}, bee-queue ${m.beeQueue ?? '?'}, Redis ${m.redis ?? '?'}, ` +
      `PostgreSQL ${m.postgres ?? '?'}, pgvector ${m.pgvector ?? '?'}. Command: \`pnpm bench${report.args.length > 0 ? ` ${report.args.join(' ')}` : ''}\`` +
      ` (${Math.round(report.durationMs / 1000)} s; load average ${report.loadAverage.start.toFixed(1)} at the start, ${report.loadAverage.end.toFixed(1)} at the end).`,
    '',
    '| Suite | Metric | Lanes | Baseline (same run) | Ratio | Target | Met | Notes |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const suite of report.suites) for (const row of suite.rows) lines.push(rowLine(suite.suite, row));
  const notes = report.suites.flatMap((suite) => suite.notes.map((note) => `- ${suite.suite}: ${note}`));
  const errors = report.errors.map((e) => `- ${e.suite}: **failed**: ${e.message}`);
  if (notes.length + errors.length > 0) lines.push('', ...errors, ...notes);
  return `${lines.join('\n')}\n`;
}

function writeAtomically(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/** Writes latest.json and latest.md into `dir`. */
export function writeReport(dir: string, report: BenchReport): { json: string; markdown: string } {
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'latest.json');
  const markdown = join(dir, 'latest.md');
  writeAtomically(json, `${JSON.stringify(report, null, 2)}\n`);
  writeAtomically(markdown, renderMarkdown(report));
  return { json, markdown };
}
