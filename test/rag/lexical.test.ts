import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { basename, join } from 'node:path';
import type { ingest, IngestResult, PayloadOf } from '@lanes/contracts';
import { tokenise, TOKENISER_VERSION } from '@lanes/tasks';
import { REPO_ROOT } from '../support/env.ts';
import {
  assertLexicalStatisticsMatchLiveChunks,
  dropRagState,
  ingestAndWait,
  ragTestEnv,
  type RagWorker,
  sql,
  startRagWorker,
  type TestEnv,
} from './helpers.ts';

const EVAL_DOCS = join(REPO_ROOT, 'eval', 'docs');

/** BM25 written out independently of the SQL (Lucene's idf, k1 = 1.2, b = 0.75). */
function inMemoryBm25(
  chunks: ReadonlyArray<{ id: string; text: string }>,
  query: string,
): Array<{ id: string; score: number }> {
  const bags = chunks.map((chunk) => {
    const counts = new Map<string, number>();
    const terms = tokenise(chunk.text);
    for (const term of terms) counts.set(term, (counts.get(term) ?? 0) + 1);
    return { id: chunk.id, counts, length: terms.length };
  });
  const n = bags.length;
  const mean = bags.reduce((sum, bag) => sum + bag.length, 0) / n;
  const queryTerms = [...new Set(tokenise(query))];
  const df = new Map(queryTerms.map((term) => [term, bags.filter((bag) => bag.counts.has(term)).length]));
  return bags
    .map((bag) => ({
      id: bag.id,
      score: queryTerms.reduce((sum, term) => {
        const tf = bag.counts.get(term) ?? 0;
        if (tf === 0) return sum;
        const idf = Math.log(1 + (n - df.get(term)! + 0.5) / (df.get(term)! + 0.5));
        return sum + (idf * tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * bag.length) / mean));
      }, 0),
    }))
    .filter((entry) => entry.score > 0)
    .sort((a, b) => b.score - a.score);
}

describe('lexical index (BM25 in PostgreSQL)', () => {
  let env: TestEnv;
  let w: RagWorker;

  before(async () => {
    env = ragTestEnv('lexical');
    w = await startRagWorker(env);
  });

  after(async () => {
    await w?.close();
    await dropRagState(env);
  });

  const run = (payload: PayloadOf<typeof ingest>): Promise<IngestResult> => ingestAndWait(w, payload);

  const assertStatisticsMatchLiveChunks = (): Promise<{ chunks: number; terms: number }> =>
    assertLexicalStatisticsMatchLiveChunks(env);

  test('BM25 in SQL ranks the same top 10 as an in-memory BM25 over the same chunks', async () => {
    for (const name of ['bc.info.txt', 'gzip.info.txt', 'libtasn1.info.txt'])
      await run({ path: join(EVAL_DOCS, name) });
    await assertStatisticsMatchLiveChunks();
    const chunks = await sql<{ id: string; text: string }>(
      env,
      `SELECT c.document_id || ':' || c.chunk_index AS id, c.text FROM $schema.chunks c WHERE c.live`,
    );
    const queries = [
      'asn1_read_value',
      'decode DER bytes into an element',
      'how many digits after the decimal point',
      '--rsyncable',
      'the',
      'GZIP environment variable default options',
      'ibase obase scale',
    ];
    for (const query of queries) {
      const expected = inMemoryBm25(chunks, query).slice(0, 10);
      const response = await w.rag.search(query, 10, { mode: 'lexical', record: false });
      const got = response.results.map((hit) => ({
        id: `${hit.documentId}:${hit.chunkIndex}`,
        score: hit.scores.lexical!,
      }));
      assert.equal(got.length, expected.length, query);
      for (const [rank, hit] of got.entries()) {
        assert.ok(
          Math.abs(hit.score - expected[rank]!.score) < 1e-9,
          `"${query}" #${rank + 1}: ${hit.score} vs ${expected[rank]!.score}`,
        );
        // Equal scores may come in either order; unequal ones must name the same chunk.
        const tied = expected.filter((entry) => Math.abs(entry.score - hit.score) < 1e-9).map((entry) => entry.id);
        assert.ok(tied.includes(hit.id), `"${query}" #${rank + 1} is ${hit.id}, expected one of ${tied.join(', ')}`);
      }
    }
  });

  test('hybrid: the vector part ranks the lexical candidates by their exact similarity, and fills up when the lexical list is short', async () => {
    const query = 'decode DER bytes into an element';
    const hybrid = (await w.rag.search(query, 10, { mode: 'hybrid', record: false })).results;
    const lexical = (await w.rag.search(query, 50, { mode: 'lexical', record: false })).results;
    const id = (hit: { documentId: string; chunkIndex: number }): string => `${hit.documentId}:${hit.chunkIndex}`;
    assert.equal(hybrid.length, 10);
    assert.ok(
      hybrid.every((hit) => lexical.some((l) => id(l) === id(hit)) && hit.scores.lexical !== undefined),
      'the top 10 are lexical candidates',
    );
    const exact = new Map(
      (await w.rag.search(query, 100, { mode: 'vector', record: false, exact: true })).results.map((hit) => [
        id(hit),
        hit.scores.vector!,
      ]),
    );
    const lowest = Math.min(...exact.values());
    for (const hit of hybrid) {
      const similarity = exact.get(id(hit));
      if (similarity !== undefined)
        assert.equal(hit.scores.vector, similarity, `${id(hit)}: the similarity of its own vector`);
      else
        assert.ok(
          hit.scores.vector !== undefined && hit.scores.vector <= lowest,
          `${id(hit)} is not among the 100 nearest`,
        );
    }

    // One chunk holds the term: vector-only chunks fill the other places.
    await run({ text: 'The quetzalcoatlus was a pterosaur of the late Cretaceous.', source: 'rare.txt' });
    const short = (await w.rag.search('quetzalcoatlus', 10, { mode: 'hybrid', record: false })).results;
    assert.equal(short.length, 10);
    assert.ok(short[0]!.scores.lexical !== undefined);
    assert.ok(short.some((hit) => hit.scores.lexical === undefined && hit.scores.vector !== undefined));
  });

  test('identifiers and operators are found by name', async () => {
    const top = async (query: string): Promise<string> =>
      (await w.rag.search(query, 1, { mode: 'lexical', record: false })).results[0]!.text;
    assert.match(await top('asn1_read_value'), /Returns the value of one element inside a structure/);
    assert.match(await top('ASN1_ELEMENT_NOT_FOUND optional'), /ASN1_ELEMENT_NOT_FOUND/);
    await run({
      text: 'Use ${parameter:-word} for a default. Here strings: cat <<< "$x". Also set -o pipefail, and read.fwf(file).',
      source: 'idents.txt',
    });
    for (const query of ['${parameter:-word}', '<<<', 'pipefail', 'read.fwf', 'fwf']) {
      assert.equal(
        (await w.rag.search(query, 1, { mode: 'lexical', record: false })).results[0]?.source,
        'idents.txt',
        query,
      );
    }
  });

  test('statistics follow re-ingest and delete, in the transaction that changes what is live', async () => {
    const before = await assertStatisticsMatchLiveChunks();
    const first = await run({
      text: 'zebrafinch song learning in the zebrafinch brain. '.repeat(40),
      source: 'birds.txt',
    });
    const withBirds = await assertStatisticsMatchLiveChunks();
    assert.equal(withBirds.chunks, before.chunks + first.chunks);
    const [df] = await sql<{ df: number }>(env, "SELECT df FROM $schema.lexical_terms WHERE term = 'zebrafinch'");
    assert.equal(df!.df, first.chunks);

    await run({ text: 'Nightingales sing at night; no finches here.', source: 'birds.txt' });
    const afterEdit = await assertStatisticsMatchLiveChunks();
    assert.equal(afterEdit.chunks, before.chunks + 1);
    assert.deepEqual(
      await sql(env, "SELECT df FROM $schema.lexical_terms WHERE term = 'zebrafinch'"),
      [],
      'a term no live chunk holds is gone',
    );
    assert.equal((await w.rag.search('zebrafinch', 5, { mode: 'lexical', record: false })).results.length, 0);

    await sql(env, "DELETE FROM $schema.documents WHERE source = 'birds.txt'");
    const afterDelete = await assertStatisticsMatchLiveChunks();
    assert.equal(afterDelete.chunks, before.chunks);
    assert.equal(afterDelete.terms, before.terms);
  });

  test('chunks stored before the lexical index, or by another tokeniser version, are re-indexed and counted on start', async () => {
    const before = await assertStatisticsMatchLiveChunks();
    await sql(
      env,
      'UPDATE $schema.chunks SET lexemes = NULL, term_freqs = NULL, lexical_length = NULL WHERE id % 2 = 0',
    );
    await sql(
      env,
      "UPDATE $schema.chunks SET lexemes = '{stale}', term_freqs = '{1}', lexical_length = 1 WHERE lexemes IS NOT NULL",
    );
    await sql(env, "UPDATE $schema.lexical_corpus SET tokeniser = 'terms-v0'");
    await w.close();
    w = await startRagWorker(env);
    assert.deepEqual(await assertStatisticsMatchLiveChunks(), before);
    assert.deepEqual(await sql(env, 'SELECT tokeniser FROM $schema.lexical_corpus'), [
      { tokeniser: TOKENISER_VERSION },
    ]);
    assert.equal(
      basename((await w.rag.search('asn1_read_value', 1, { mode: 'lexical', record: false })).results[0]!.source),
      'libtasn1.info.txt',
    );
  });

  test('hostile queries are only text: tsquery syntax, quotes, NUL, emoji, punctuation, 10k characters', async () => {
    const hostile = [
      'a & b | !c:*',
      "'; DROP TABLE chunks; --",
      'x\u0000y',
      '😀 🙂',
      '!!! ??? ...',
      '"unbalanced',
      'structure '.repeat(1000).slice(0, 10_000),
    ];
    for (const query of hostile) {
      for (const mode of ['lexical', 'vector', 'hybrid'] as const) {
        const response = await w.rag.search(query, 5, { mode, record: false });
        assert.ok(Array.isArray(response.results), `${mode}: ${JSON.stringify(query.slice(0, 20))}`);
      }
    }
    assert.ok(
      (await w.rag.search('structure '.repeat(1000), 5, { mode: 'lexical', record: false })).results.length > 0,
    );
    assert.ok((await sql(env, 'SELECT 1 FROM $schema.chunks LIMIT 1')).length === 1, 'nothing was dropped');
  });
});
