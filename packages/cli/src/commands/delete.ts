import { resolve } from 'node:path';
import { loadRuntimeConfig } from '@lanes/worker-core';
import { EXIT_OK, type CliCommand } from '../command.ts';
import { parseCommandArgs, UsageError } from '../support/args.ts';
import { openBuiltinReader } from '../support/builtins.ts';
import { printJson, printLine } from '../support/output.ts';

const usage = `Usage: lanes delete SOURCE... [--json]

Removes documents by source (as \`lanes documents\` lists it; a relative file path is taken
from the current folder): their chunks, their vectors no other document shares, and the
document, in one transaction. An unknown SOURCE is bad usage (exit 2) and nothing is deleted.

Options:
  --json   print { "deleted": [{ "id", "source", "chunks" }], "vectors": N }
`;

export const deleteCommand: CliCommand = {
  name: 'delete',
  summary: 'remove documents, their chunks and unreferenced vectors',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {});
    if (positionals.length === 0) throw new UsageError('expected at least one SOURCE (see lanes documents)');
    const builtins = await openBuiltinReader(loadRuntimeConfig());
    try {
      // Ingest records files by absolute path; accept the path as typed too.
      const known = new Set((await builtins.documents.list()).map((doc) => doc.source));
      const sources = positionals.map((source) => (known.has(source) || !known.has(resolve(source)) ? source : resolve(source)));
      const unknown = sources.filter((source) => !known.has(source));
      if (unknown.length > 0) throw new UsageError(`no document with source ${unknown.map((source) => `"${source}"`).join(', ')} (see lanes documents)`);
      const outcome = await builtins.documents.deleteBySources(sources);
      if (values.json) printJson({ deleted: outcome.documents, vectors: outcome.vectors });
      else {
        for (const doc of outcome.documents) printLine(`deleted ${doc.source} (${doc.chunks} chunks)`);
        printLine(`${outcome.vectors} vectors no longer used were removed`);
      }
      return EXIT_OK;
    } finally {
      await builtins.close();
    }
  },
};
