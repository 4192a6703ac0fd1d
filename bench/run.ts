// `pnpm bench`: runs the suites and writes bench/results/latest.json and latest.md.
// Each suite measures Lanes next to its baseline in the same run; nothing here asserts timings.
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL } from '@lanes/contracts';
import { parseArgs, USAGE, UsageError } from './lib/args.ts';
import { newRunId } from './lib/ids.ts';
import { machineInfo } from './lib/machine.ts';
import { writeReport, type BenchReport } from './lib/report.ts';
import type { BenchOptions, SuiteResult } from './lib/types.ts';
import { SUITES } from './suites/index.ts';

const ROOT = join(import.meta.dirname, '..');

function log(message: string): void {
  process.stderr.write(`[bench] ${message}\n`);
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(argv, ROOT);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n${USAGE}\n`);
    return 2;
  }
  const options: BenchOptions = {
    quick: args.quick,
    large: args.large,
    redisUrl: process.env.REDIS_URL ?? DEFAULT_REDIS_URL,
    databaseUrl: process.env.DATABASE_URL ?? DEFAULT_DATABASE_URL,
    runId: newRunId(),
    log,
  };
  const startedAt = Date.now();
  const loadAtStart = loadavg()[0] ?? 0;
  const machine = await machineInfo(options.redisUrl, options.databaseUrl);
  log(`run ${options.runId}: ${args.only.join(', ')}${args.quick ? ' (quick)' : ''}${args.large ? ' (large)' : ''}`);
  const suites: SuiteResult[] = [];
  const errors: Array<{ suite: string; message: string }> = [];
  for (const name of args.only) {
    log(`suite ${name}: starting`);
    try {
      const suite = await (await SUITES[name]()).run(options);
      suites.push(suite);
      log(`suite ${name}: done in ${Math.round(suite.durationMs / 1000)} s`);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      errors.push({ suite: name, message });
      log(`suite ${name}: FAILED: ${error instanceof Error ? (error.stack ?? message) : message}`);
    }
  }
  const report: BenchReport = {
    machine,
    args: [...argv],
    quick: args.quick,
    large: args.large,
    durationMs: Date.now() - startedAt,
    loadAverage: { start: loadAtStart, end: loadavg()[0] ?? 0 },
    suites,
    errors,
  };
  const written = writeReport(args.outDir, report);
  log(`wrote ${written.json} and ${written.markdown}`);
  return errors.length > 0 ? 1 : 0;
}

// Exit explicitly: a library that leaves a timer or socket behind must not keep the bench alive.
main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  },
);
