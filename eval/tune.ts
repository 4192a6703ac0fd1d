/**
 * Sweeps BM25 parameters (lexical mode) and the hybrid fusion settings over an eval file
 * against what is ingested (the schema and prefix of the environment, as for `lanes eval`),
 * printing the metrics per setting. Usage: node eval/tune.ts [eval/questions.jsonl]
 */
import { readFile } from 'node:fs/promises';
import type { SearchMode } from '@lanes/contracts';
import { createRagReader, evaluate, FUSION_DEFAULTS, parseEvalFile, type SearchOptions } from '@lanes/tasks';

const { cases, errors } = parseEvalFile(await readFile(process.argv[2] ?? 'eval/questions.jsonl', 'utf8'));
if (errors.length > 0) throw new Error(errors.join('; '));
const service = createRagReader();
try {
  const run = async (mode: SearchMode, options: Pick<SearchOptions, 'fusion' | 'bm25'>): Promise<string> => {
    const report = await evaluate(
      cases,
      async (query, k) => (await service.search(query, k, { mode, record: false, ...options })).results,
      { k: 10, modes: [mode] },
    );
    const m = report.modes[mode]!;
    return `mrr ${m['mrr@10'].toFixed(3)} hit@1 ${m['hit@1'].toFixed(3)} hit@10 ${m['hit@k'].toFixed(3)} ndcg ${m['ndcg@10'].toFixed(3)}`;
  };
  for (const k1 of [0.9, 1.2]) {
    for (const b of [0.5, 0.75]) console.log(`lexical k1 ${k1} b ${b}: ${await run('lexical', { bm25: { k1, b } })}`);
  }
  for (const vectorWeight of [0, 0.05, 0.1, 0.2, 0.3, 0.5, 1]) {
    for (const rrfK of [2, 5, 10, 20, 60]) {
      for (const depth of [50])
        console.log(
          `hybrid vectorWeight ${vectorWeight} rrfK ${rrfK} depth ${depth}: ${await run('hybrid', { fusion: { ...FUSION_DEFAULTS, vectorWeight, rrfK, depth } })}`,
        );
    }
  }
} finally {
  await service.close();
}
