import { loadRuntimeConfig } from '@lanes/worker-core';
import { searchPayload, type SearchRequest, definedOnly } from '@lanes/contracts';
import { EXIT_OK, type CliCommand } from '../command.ts';
import { parseCommandArgs, positiveInt, readJsonArgument, UsageError } from '../support/args.ts';
import { openBuiltinReader } from '../support/builtins.ts';
import { printJson, printLine } from '../support/output.ts';

const usage = `Usage: lanes search QUERY [-k N] [--mode hybrid|vector|lexical] [--filter JSON] [--source PREFIX] [--tenant T] [--json]

Search over what was ingested. hybrid (default) fuses a BM25 ranking of the chunks' terms
with the query embedding's nearest chunks (reciprocal-rank fusion); vector and lexical use
one of them alone. Runs in this process; no worker needed.

Options:
  -k N              how many results (default 10, at most 100)
  --mode M          hybrid, vector or lexical
  --filter JSON     only documents whose metadata contains this object, e.g. '{"lang":"en"}'
  --source PREFIX   only documents whose source starts with PREFIX
  --tenant T        only tenant T's documents (without it: only documents of no tenant)
  --json            print { "query", "results": [{ "documentId", "source", "chunkIndex", "score", "page", "heading", "scores", "text" }] }
`;

/** Validated through the search contract's schema, so every surface accepts the same input. */
export async function parseSearchRequest(
  query: string,
  values: {
    k?: string | undefined;
    mode?: string | undefined;
    filter?: string | undefined;
    source?: string | undefined;
    tenant?: string | undefined;
  },
): Promise<SearchRequest> {
  const metadata = values.filter === undefined ? undefined : await readJsonArgument('--filter', values.filter);
  const filter =
    metadata === undefined && values.source === undefined
      ? undefined
      : definedOnly({ metadata, sourcePrefix: values.source });
  const parsed = searchPayload.safeParse({
    query,
    k: positiveInt('-k', values.k, 10),
    ...definedOnly({ mode: values.mode, filter, tenant: values.tenant }),
  });
  if (!parsed.success) {
    const flag = (path: readonly PropertyKey[]): string =>
      ({
        query: 'QUERY',
        k: '-k',
        mode: '--mode',
        'filter.metadata': '--filter',
        'filter.sourcePrefix': '--source',
        tenant: '--tenant (tenant)',
      })[path.join('.')] ??
      (path.join('.') || 'QUERY');
    throw new UsageError(
      parsed.error.issues.map((issue) => `${flag(issue.path.slice(0, 2))}: ${issue.message}`).join('; '),
    );
  }
  return parsed.data;
}

export const searchCommand: CliCommand = {
  name: 'search',
  summary: 'hybrid, vector or lexical search over what was ingested',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      k: { type: 'string', short: 'k' },
      mode: { type: 'string' },
      filter: { type: 'string' },
      source: { type: 'string' },
      tenant: { type: 'string' },
    });
    if (positionals.length === 0) throw new UsageError('expected a QUERY');
    const request = await parseSearchRequest(positionals.join(' '), values);
    const builtins = await openBuiltinReader(loadRuntimeConfig());
    try {
      const response = await builtins.search(request);
      if (values.json) printJson(response);
      else {
        if (response.results.length === 0) printLine('no results');
        for (const [rank, hit] of response.results.entries()) {
          const page = hit.page === null ? '' : `  p. ${hit.page}`;
          const heading = hit.heading === null ? '' : `  § ${hit.heading}`;
          printLine(`${rank + 1}. ${hit.source} #${hit.chunkIndex}${page}${heading}  score ${hit.score.toFixed(4)}`);
          printLine(`   ${hit.text.replace(/\s+/g, ' ').slice(0, 200)}`);
        }
      }
      return EXIT_OK;
    } finally {
      await builtins.close();
    }
  },
};
