import { z, type SearchHit, type SearchMode } from '@lanes/contracts';

/** One line of an eval file: a query and the passages that answer it. */
export const evalCase = z
  .object({
    query: z.string().trim().min(1, 'must be a non-empty query'),
    expect: z
      .array(
        z
          .object({
            /** Matches a hit whose source equals it or ends with it (`docs/a.txt` matches `/srv/docs/a.txt`). */
            source: z.string().min(1),
            /** When given, the hit's text must contain it (case and whitespace ignored). */
            text: z.string().min(1).optional(),
          })
          .strict(),
      )
      .min(1, 'must list at least one expected passage'),
  })
  .strict();
export type EvalCase = z.infer<typeof evalCase>;

export interface EvalMetrics {
  readonly 'hit@1': number;
  readonly 'hit@k': number;
  readonly 'mrr@10': number;
  readonly 'ndcg@10': number;
}

export interface EvalReport {
  readonly k: number;
  readonly queries: number;
  readonly modes: Partial<Record<SearchMode, EvalMetrics>>;
  /** Per query and mode, the 1-based rank of the first answering hit (null: not in the results). */
  readonly ranks: ReadonlyArray<{ readonly query: string; readonly ranks: Partial<Record<SearchMode, number | null>> }>;
}

/** Ranks looked at for MRR@10 and nDCG@10, whatever k is. */
const METRIC_DEPTH = 10;

function squash(text: string): string {
  return text.replace(/\s+/g, ' ').trim().toLowerCase();
}

type Expectation = EvalCase['expect'][number];

function answers(hit: Pick<SearchHit, 'source' | 'text'>, expected: Expectation): boolean {
  const sourceMatches =
    hit.source === expected.source ||
    hit.source.endsWith(expected.source.startsWith('/') ? expected.source : `/${expected.source}`);
  return sourceMatches && (expected.text === undefined || squash(hit.text).includes(squash(expected.text)));
}

/**
 * One ranking's scores against the expected passages. A hit is relevant when it answers an
 * expectation no earlier hit answered, so repeats of one passage gain nothing; nDCG@10 is
 * binary-gain DCG over the ideal of min(expectations, 10) relevant hits at the top.
 */
export function scoreRanking(
  hits: ReadonlyArray<Pick<SearchHit, 'source' | 'text'>>,
  expect: readonly Expectation[],
  k: number,
): { rank: number | null; hitAtK: boolean; reciprocalRank: number; ndcg: number } {
  const answered = new Set<number>();
  let rank: number | null = null;
  let dcg = 0;
  for (const [index, hit] of hits.slice(0, Math.max(k, METRIC_DEPTH)).entries()) {
    const match = expect.findIndex((expected, which) => !answered.has(which) && answers(hit, expected));
    if (match === -1) continue;
    answered.add(match);
    rank ??= index + 1;
    if (index < METRIC_DEPTH) dcg += 1 / Math.log2(index + 2);
  }
  let ideal = 0;
  for (let index = 0; index < Math.min(expect.length, METRIC_DEPTH); index++) ideal += 1 / Math.log2(index + 2);
  return {
    rank,
    hitAtK: rank !== null && rank <= k,
    reciprocalRank: rank !== null && rank <= METRIC_DEPTH ? 1 / rank : 0,
    ndcg: dcg / ideal,
  };
}

export type EvalSearch = (query: string, k: number, mode: SearchMode) => Promise<readonly SearchHit[]>;

/** Runs every case in every mode and averages per mode. */
export async function evaluate(
  cases: readonly EvalCase[],
  search: EvalSearch,
  options: { k: number; modes: readonly SearchMode[] },
): Promise<EvalReport> {
  const depth = Math.max(options.k, METRIC_DEPTH);
  const sums = new Map<SearchMode, { n: number; hit1: number; hitK: number; rr: number; ndcg: number }>();
  const ranks: Array<{ query: string; ranks: Partial<Record<SearchMode, number | null>> }> = [];
  for (const entry of cases) {
    const row: Partial<Record<SearchMode, number | null>> = {};
    for (const mode of options.modes) {
      const score = scoreRanking(await search(entry.query, depth, mode), entry.expect, options.k);
      const sum = sums.get(mode) ?? { n: 0, hit1: 0, hitK: 0, rr: 0, ndcg: 0 };
      sum.n += 1;
      sum.hit1 += score.rank === 1 ? 1 : 0;
      sum.hitK += score.hitAtK ? 1 : 0;
      sum.rr += score.reciprocalRank;
      sum.ndcg += score.ndcg;
      sums.set(mode, sum);
      row[mode] = score.rank;
    }
    ranks.push({ query: entry.query, ranks: row });
  }
  const round = (value: number): number => Math.round(value * 1000) / 1000;
  const modes: Partial<Record<SearchMode, EvalMetrics>> = {};
  for (const [mode, sum] of sums) {
    modes[mode] = {
      'hit@1': round(sum.hit1 / sum.n),
      'hit@k': round(sum.hitK / sum.n),
      'mrr@10': round(sum.rr / sum.n),
      'ndcg@10': round(sum.ndcg / sum.n),
    };
  }
  return { k: options.k, queries: cases.length, modes, ranks };
}

/** Parses JSONL (blank lines and `//` comments skipped); errors name the line and field. */
export function parseEvalFile(text: string): { cases: EvalCase[]; errors: string[] } {
  const cases: EvalCase[] = [];
  const errors: string[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '' || line.trim().startsWith('//')) continue;
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      errors.push(`line ${index + 1}: not valid JSON`);
      continue;
    }
    const parsed = evalCase.safeParse(json);
    if (parsed.success) cases.push(parsed.data);
    else
      errors.push(
        ...parsed.error.issues.map(
          (issue) => `line ${index + 1}: ${issue.path.join('.') || '(line)'}: ${issue.message}`,
        ),
      );
  }
  return { cases, errors };
}
