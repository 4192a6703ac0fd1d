#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { EXIT_OK, EXIT_USAGE, type CliCommand } from './command.ts';
import { enqueueCommand } from './commands/enqueue.ts';
import { statusCommand } from './commands/status.ts';
import { workerCommand } from './commands/worker.ts';
import { servicesCommand } from './commands/services.ts';
import { ingestCommand } from './commands/ingest.ts';
import { searchCommand } from './commands/search.ts';
import { evalCommand } from './commands/eval.ts';
import { dashboardCommand } from './commands/dashboard.ts';
import { deleteCommand } from './commands/delete.ts';
import { documentsCommand } from './commands/documents.ts';
import { rebuildIndexCommand, warmCacheCommand } from './commands/maintenance.ts';
import { migrateEmbeddingsCommand } from './commands/migrate-embeddings.ts';
import { exitCodeFor } from './support/exit-code.ts';
import { printError, printLine } from './support/output.ts';

const commands: readonly CliCommand[] = [
  servicesCommand,
  workerCommand,
  dashboardCommand,
  enqueueCommand,
  ingestCommand,
  searchCommand,
  evalCommand,
  statusCommand,
  documentsCommand,
  deleteCommand,
  rebuildIndexCommand,
  warmCacheCommand,
  migrateEmbeddingsCommand,
];

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'Usage: lanes COMMAND [options]   (every command takes --help; --json prints one JSON document)',
    '       lanes --version',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
  ].join('\n');
}

/** The package's own version: package.json sits one folder up from src/ and from dist/ alike. */
function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--version' || name === '-V') {
    printLine(version());
    return EXIT_OK;
  }
  if (name === undefined) {
    process.stderr.write(`${overview()}\n`);
    return EXIT_USAGE;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    printLine(overview());
    return EXIT_OK;
  }
  const command = commands.find((c) => c.name === name);
  if (command === undefined) {
    printError(`unknown command "${name}"`);
    process.stderr.write(`${overview()}\n`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    printLine(command.usage);
    return EXIT_OK;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    printError(error instanceof Error ? error.message : String(error));
    return exitCodeFor(error);
  }
}

const code = await main(process.argv.slice(2));
// Long-running commands (worker, dashboard) resolve only once they have shut down; exit
// explicitly so no lingering handle keeps a finished command alive.
process.exit(code);
