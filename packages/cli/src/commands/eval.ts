import { readFile } from 'node:fs/promises';
import { loadRuntimeConfig } from '@lanes/worker-core';
import { MAX_SEARCH_K, SEARCH_MODES, searchMode, type SearchMode } from '@lanes/contracts';
import { EXIT_OK, type CliCommand } from '../command.ts';
import { parseCommandArgs, positiveInt, UsageError } from '../support/args.ts';
import { openBuiltinReader } from '../support/builtins.ts';
import { printJson, printLine } from '../support/output.ts';

const usage = `Usage: lanes eval FILE [-k N] [--mode hybrid|vector|lexical] [--json]

Retrieval quality over what was ingested. FILE is JSONL, one case a line:
  { "query": "...", "expect": [{ "source": "manual.txt", "text": "a phrase of the answer" }] }
A result answers an expectation when its source equals or ends with "source" and, if "text"
is given, its chunk text contains it (case and whitespace ignored). Reports per mode (all
three unless --mode): hit@1, hit@k, MRR@10 and nDCG@10. Eval searches do not count towards
cache warming.

Options:
  -k N       the cut-off for hit@k (default 10, at most ${MAX_SEARCH_K})
  --mode M   only this mode
  --json     print { "k", "queries", "modes": { MODE: { "hit@1", "hit@k", "mrr@10", "ndcg@10" } }, "ranks": [...] }
`;

export const evalCommand: CliCommand = {
  name: 'eval',
  summary: 'retrieval quality on a JSONL file of queries and expected passages',
  usage,
  async run(argv) {
    const { values, positionals } = parseCommandArgs(argv, {
      k: { type: 'string', short: 'k' },
      mode: { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError('expected one FILE');
    const k = positiveInt('-k', values.k, 10);
    if (k > MAX_SEARCH_K) throw new UsageError(`-k must be at most ${MAX_SEARCH_K}`);
    let modes: readonly SearchMode[] = SEARCH_MODES;
    if (values.mode !== undefined) {
      const parsed = searchMode.safeParse(values.mode);
      if (!parsed.success) throw new UsageError(`--mode must be one of ${SEARCH_MODES.join(', ')}`);
      modes = [parsed.data];
    }
    const text = await readFile(positionals[0]!, 'utf8').catch(() => {
      throw new UsageError(`FILE: cannot read ${positionals[0]}`);
    });
    const { parseEvalFile, evaluate } = await import('@lanes/tasks/runtime');
    const { cases, errors } = parseEvalFile(text);
    if (errors.length > 0) throw new UsageError(`FILE: ${errors.slice(0, 5).join('; ')}`);
    if (cases.length === 0) throw new UsageError('FILE: no cases');
    const builtins = await openBuiltinReader(loadRuntimeConfig());
    try {
      const report = await evaluate(
        cases,
        async (query, depth, mode) => (await builtins.search({ query, k: depth, mode }, { record: false })).results,
        { k, modes },
      );
      if (values.json) printJson(report);
      else {
        printLine(`${report.queries} queries, k = ${k}`);
        printLine(
          `${'mode'.padEnd(8)}  ${['hit@1', `hit@${k}`, 'MRR@10', 'nDCG@10'].map((h) => h.padStart(7)).join('  ')}`,
        );
        for (const [mode, m] of Object.entries(report.modes)) {
          printLine(
            `${mode.padEnd(8)}  ${[m['hit@1'], m['hit@k'], m['mrr@10'], m['ndcg@10']].map((v) => v.toFixed(3).padStart(7)).join('  ')}`,
          );
        }
      }
      return EXIT_OK;
    } finally {
      await builtins.close();
    }
  },
};
