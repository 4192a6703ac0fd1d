import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import {
  CANDIDATE_POSTINGS,
  candidateRules,
  fuse,
  FUSION_DEFAULTS,
  lexicalOnlyDepth,
  parseEvalFile,
  scoreRanking,
} from '@lanes/tasks';

const hit = (source: string, text: string) => ({ source, text });

describe('retrieval metrics and fusion', () => {
  test('a hit answers by source suffix and by passage text, ignoring case and whitespace', () => {
    const expect = [{ source: 'docs/bash.txt', text: 'Use   Default\nValues' }];
    const hits = [
      hit('/srv/docs/bash.txt', 'nothing here'),
      hit('/srv/mydocs/bash.txt', 'use default values'),
      hit('/srv/docs/bash.txt', 'x USE DEFAULT VALUES y'),
    ];
    const score = scoreRanking(hits, expect, 10);
    assert.equal(score.rank, 3, 'the suffix must match at a path boundary and the text must be there');
    assert.equal(score.reciprocalRank, 1 / 3);
    assert.equal(score.ndcg, 1 / Math.log2(4));
    assert.equal(scoreRanking(hits, expect, 2).hitAtK, false);
  });

  test('nDCG counts each expected passage once, against the ideal ordering', () => {
    const expect = [{ source: 'a.txt' }, { source: 'b.txt' }];
    const score = scoreRanking([hit('a.txt', ''), hit('a.txt', ''), hit('b.txt', '')], expect, 10);
    const dcg = 1 + 1 / Math.log2(4);
    assert.ok(Math.abs(score.ndcg - dcg / (1 + 1 / Math.log2(3))) < 1e-12);
    assert.equal(scoreRanking([], expect, 10).rank, null);
  });

  test('eval files: errors name the line and field', () => {
    const { cases, errors } = parseEvalFile(
      '{"query":"q","expect":[{"source":"a"}]}\n\n// a comment\n{"query":"","expect":[{"source":"a"}]}\nnot json\n',
    );
    assert.equal(cases.length, 1);
    assert.deepEqual(errors, ['line 4: query: must be a non-empty query', 'line 5: not valid JSON']);
  });

  test('reciprocal-rank fusion sums weighted 1 / (rrfK + rank) and keeps both parts of the score', () => {
    const chunk = (id: number, score: number) => ({
      documentId: String(id),
      source: `${id}.txt`,
      chunkIndex: 0,
      hash: `h${id}`,
      page: null,
      heading: null,
      score,
      text: '',
    });
    const lexical = [chunk(1, 9), chunk(2, 5)];
    const vector = [chunk(2, 0.9), chunk(3, 0.8)];
    const fused = fuse({ lexical, vector }, 3, { depth: 10, rrfK: 60, lexicalWeight: 1, vectorWeight: 1 });
    assert.deepEqual(
      fused.map((h) => h.documentId),
      ['2', '1', '3'],
    );
    assert.deepEqual(fused[0]!.scores, { vector: 0.9, lexical: 5 });
    assert.ok(Math.abs(fused[0]!.score - (1 / 62 + 1 / 61)) < 1e-6);
    const lexicalFirst = fuse({ lexical, vector }, 3, { depth: 10, rrfK: 60, lexicalWeight: 1, vectorWeight: 0.3 });
    assert.deepEqual(
      lexicalFirst.map((h) => h.documentId),
      ['2', '1', '3'],
    );
    assert.deepEqual(
      fuse({ lexical, vector }, 3, { depth: 1, rrfK: 60, lexicalWeight: 1, vectorWeight: 1 }).map((h) => h.documentId),
      ['1', '2'],
    );
  });

  test('lexical candidates: every term while postings are few, the rarest first, all-of-the-rarest when every term is common', () => {
    assert.deepEqual(candidateRules(['a', 'b', 'c'], [30, 10, 20], 100), [{ match: 'any', terms: ['b', 'c', 'a'] }]);
    const budget = CANDIDATE_POSTINGS;
    assert.deepEqual(candidateRules(['common', 'rare', 'mid'], [budget, 3, budget - 10], 100_000), [
      { match: 'any', terms: ['rare', 'mid'] },
    ]);
    const n = 100_000;
    // Each term in 40 % of chunks: about n * 0.4^t chunks hold t of them together.
    const rules = candidateRules(['w', 'x', 'y', 'z', 'v'], [40_000, 40_001, 40_002, 40_003, 40_004], n);
    const together = Math.min(5, Math.ceil(Math.log(budget / n) / Math.log(0.4)));
    assert.deepEqual(rules[0], { match: 'all', terms: ['w', 'x', 'y', 'z', 'v'].slice(0, together) });
    assert.deepEqual(rules.at(-1), { match: 'any', terms: ['w'] });
    assert.equal(rules.length, together);
  });

  test('lexical-only depth: the fused top k from a list cut there equals the one from the whole lists, and no vector-only chunk gets in', () => {
    assert.equal(lexicalOnlyDepth(10, FUSION_DEFAULTS), 16);
    assert.equal(
      lexicalOnlyDepth(10, { ...FUSION_DEFAULTS, rrfK: 60, vectorWeight: 1 }),
      undefined,
      'equal weights: a vector-only chunk can rank',
    );
    assert.equal(lexicalOnlyDepth(10, { ...FUSION_DEFAULTS, lexicalWeight: 0 }), undefined);
    let seed = 7;
    const random = (): number => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const chunk = (id: number, score: number) => ({
      documentId: String(id),
      source: `${id}.txt`,
      chunkIndex: 0,
      hash: `h${id}`,
      page: null,
      heading: null,
      score,
      text: '',
    });
    let checked = 0;
    for (let round = 0; round < 300; round++) {
      const options = { depth: 60, rrfK: Math.floor(random() * 20), lexicalWeight: 1, vectorWeight: random() * 0.3 };
      const k = 1 + Math.floor(random() * 15);
      const depth = lexicalOnlyDepth(k, options);
      if (depth === undefined) continue;
      // 60 lexical chunks; the vector list draws from them and from 40 chunks of its own.
      const lexical = Array.from({ length: 60 }, (_, i) => chunk(i, 60 - i));
      const pool = Array.from({ length: 100 }, (_, i) => i).sort(() => random() - 0.5);
      const vector = pool.slice(0, 60).map((id, rank) => chunk(id, 1 - rank / 100));
      const ids = (hits: ReturnType<typeof fuse>): string[] => hits.map((hit) => hit.documentId);
      const whole = fuse({ lexical, vector }, k, options);
      assert.deepEqual(
        ids(fuse({ lexical: lexical.slice(0, depth), vector }, k, options)),
        ids(whole),
        `round ${round}`,
      );
      assert.ok(
        whole.every((hit) => Number(hit.documentId) < 60),
        'only lexical candidates in the top k',
      );
      checked++;
    }
    assert.ok(checked > 100, `${checked} rounds had a bound`);
  });
});
