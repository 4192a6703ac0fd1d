import { resolve } from 'node:path';
import { loadRuntimeConfig } from '@lanes/worker-core';
import { EXIT_OK, type CliCommand } from '../command.ts';
import { parseCommandArgs, UsageError } from '../support/args.ts';
import { openBuiltinReader } from '../support/builtins.ts';
import { printJson, printLine } from '../support/output.ts';
import { tenantFlag } from '../support/tenant-flag.ts';

const usage = `Usage: lanes delete SOURCE... [--tenant T] [--json]

Removes documents by source (as \`lanes documents\` lists it; a relative file path is taken
from the current folder): their chunks, their vectors no other document shares, and the
document, in one transaction. An unknown SOURCE is bad usage (exit 2) and nothing is deleted.
A document is its tenant and source: without --tenant, SOURCE names a document of no tenant.

Options:
  --tenant T   the documents of tenant T
  --json       print { "deleted": [{ "id", "source", "tenant", "chunks" }], "vectors": N }
`;

export const deleteCommand: CliCommand = {
  name: 'delete',
  summary: 'remove documents, their chunks and unreferenced vectors',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, { tenant: { type: 'string' } });
    if (positionals.length === 0) throw new UsageError('expected at least one SOURCE (see lanes documents)');
    const tenant = tenantFlag(values.tenant) ?? null;
    const builtins = await openBuiltinReader(loadRuntimeConfig());
    try {
      // Ingest records files by absolute path; accept the path as typed too.
      const known = new Set((await builtins.documents.list({ tenant })).map((doc) => doc.source));
      const sources = positionals.map((source) =>
        known.has(source) || !known.has(resolve(source)) ? source : resolve(source),
      );
      const unknown = sources.filter((source) => !known.has(source));
      const owner = tenant === null ? 'of no tenant' : `of tenant "${tenant}"`;
      if (unknown.length > 0)
        throw new UsageError(
          `no document ${owner} with source ${unknown.map((source) => `"${source}"`).join(', ')} (see lanes documents)`,
        );
      const outcome = await builtins.documents.deleteBySources(sources, tenant);
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
