import { loadRuntimeConfig } from '@lanes/worker-core';
import { EXIT_OK, type CliCommand } from '../command.ts';
import { parseCommandArgs, UsageError } from '../support/args.ts';
import { openBuiltinReader } from '../support/builtins.ts';
import { printJson, printLine } from '../support/output.ts';
import { tenantFlag } from '../support/tenant-flag.ts';

const usage = `Usage: lanes documents [--tenant T] [--json]

Lists the ingested documents, newest change first: state (ready, pending, failed), pages,
chunks, when it last changed, and its newest ingest job.

Options:
  --tenant T   only the documents of tenant T (without it: every document, each naming its tenant)
  --json       print { "documents": [{ "id", "source", "tenant", "state", "pages", "chunks", "updatedAt", "lastJob" }] }
`;

export const documentsCommand: CliCommand = {
  name: 'documents',
  summary: 'list the ingested documents: source, state, pages, chunks, updated',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, { tenant: { type: 'string' } });
    if (positionals.length > 0)
      throw new UsageError(`unexpected argument "${positionals[0]}" (see lanes documents --help)`);
    const tenant = tenantFlag(values.tenant);
    const builtins = await openBuiltinReader(loadRuntimeConfig());
    try {
      const documents = await builtins.documents.list(tenant === undefined ? {} : { tenant });
      if (values.json) printJson({ documents });
      else if (documents.length === 0) printLine('no documents');
      else {
        // A tenant column only where documents have tenants.
        const tenantWidth = Math.max(0, ...documents.map((doc) => (doc.tenant ?? '').length));
        const tenant = (text: string): string[] => (tenantWidth === 0 ? [] : [text.padEnd(Math.max(6, tenantWidth))]);
        printLine(
          [
            'STATE'.padEnd(8),
            ...tenant('TENANT'),
            'PAGES'.padStart(6),
            'CHUNKS'.padStart(7),
            'UPDATED'.padEnd(20),
            'SOURCE',
          ].join('  '),
        );
        for (const doc of documents) {
          const updated = doc.updatedAt.slice(0, 19).replace('T', ' ');
          printLine(
            [
              doc.state.padEnd(8),
              ...tenant(doc.tenant ?? '-'),
              String(doc.pages).padStart(6),
              String(doc.chunks).padStart(7),
              updated.padEnd(20),
              doc.source,
            ].join('  '),
          );
        }
      }
      return EXIT_OK;
    } finally {
      await builtins.close();
    }
  },
};
