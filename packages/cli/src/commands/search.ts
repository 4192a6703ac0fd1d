import { loadRuntimeConfig } from '@lanes/worker-core';
import { searchPayload } from '@lanes/contracts';
import { EXIT_OK, type CliCommand } from '../command.ts';
import { parseCommandArgs, positiveInt, UsageError } from '../support/args.ts';
import { loadBuiltins } from '../support/builtins.ts';
import { printJson, printLine } from '../support/output.ts';

const usage = `Usage: lanes search QUERY [-k N] [--json]

Semantic search over what was ingested: the query's embedding (cached), then the k nearest
chunks by cosine distance in pgvector. Runs in this process; no worker needed.

Options:
  -k N     how many results (default 10, at most 100)
  --json   print { "query", "results": [{ "documentId", "source", "chunkIndex", "score", "text" }] }
`;

export const searchCommand: CliCommand = {
  name: 'search',
  summary: 'semantic search over what was ingested',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, { k: { type: 'string', short: 'k' } });
    if (positionals.length === 0) throw new UsageError('expected a QUERY');
    const parsed = searchPayload.safeParse({ query: positionals.join(' '), k: positiveInt('-k', values.k, 10) });
    if (!parsed.success) throw new UsageError(parsed.error.issues.map((issue) => `${issue.path.join('.') || 'QUERY'}: ${issue.message}`).join('; '));
    const builtins = await loadBuiltins(loadRuntimeConfig());
    try {
      const response = await builtins.search(parsed.data.query, parsed.data.k);
      if (values.json) printJson(response);
      else {
        if (response.results.length === 0) printLine('no results');
        for (const [rank, hit] of response.results.entries()) {
          printLine(`${rank + 1}. ${hit.source} #${hit.chunkIndex}  score ${hit.score.toFixed(4)}`);
          printLine(`   ${hit.text.replace(/\s+/g, ' ').slice(0, 200)}`);
        }
      }
      return EXIT_OK;
    } finally {
      await builtins.close();
    }
  },
};
