import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ingest, rebuildIndex } from '@lanes/contracts';
import { localEmbedding, vectorExpression } from '@lanes/tasks';
import { dropRagState, FIXTURES, ragTestEnv, sql, startRagWorker, withPg, type RagWorker } from './helpers.ts';

describe('LANES_VECTOR_STORAGE=halfvec', () => {
  const env = ragTestEnv('halfvec');
  let w: RagWorker | undefined;
  after(async () => {
    await w?.close();
    await dropRagState(env);
  });

  const vectorIndexes = async (table: string): Promise<Array<{ name: string; def: string }>> =>
    (
      await sql<{ name: string; def: string }>(
        env,
        'SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE schemaname = $1 AND tablename = $2',
        [env.LANES_PG_SCHEMA, table],
      )
    ).filter((row) => /USING hnsw/.test(row.def));

  const searchFinds = async (worker: RagWorker, query: string, source: string): Promise<void> => {
    const hits = (await worker.rag.search(query, 3, { mode: 'vector', record: false })).results;
    assert.ok(hits[0]?.source.endsWith(source), `${query}: ${hits.map((hit) => hit.source).join(', ')}`);
  };

  test('a space indexed at full precision switches to halfvec with rebuild-index; ingest and search use it', async () => {
    w = await startRagWorker(env);
    await (await w.worker.client.enqueue(ingest, { path: join(FIXTURES, 'docs', 'sourdough.txt') })).wait({
      timeoutMs: 60_000,
    });
    const table = w.rag.spaces.primary.tableName;
    await (await w.worker.client.enqueue(rebuildIndex, {})).wait({ timeoutMs: 90_000 });
    assert.match((await vectorIndexes(table))[0]!.def, /vector_cosine_ops/);
    await w.close();

    w = await startRagWorker({ ...env, LANES_VECTOR_STORAGE: 'halfvec' });
    const rebuilt = await (await w.worker.client.enqueue(rebuildIndex, {})).wait({ timeoutMs: 90_000 });
    const indexes = await vectorIndexes(table);
    assert.equal(indexes.length, 1, 'the full-precision index is replaced');
    assert.equal(indexes[0]!.name, rebuilt.index);
    assert.match(indexes[0]!.def, /\(\(embedding\)::halfvec\(\d+\)\) halfvec_cosine_ops/);
    const [column] = await sql<{ type: string }>(
      env,
      `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'embedding'`,
      [`${env.LANES_PG_SCHEMA}.${table}`],
    );
    assert.match(column!.type, /^vector\(/, 'the table keeps full-precision vectors');

    await searchFinds(w, 'A sourdough starter is a culture of wild yeast and lactic acid bacteria', 'sourdough.txt');
    await (await w.worker.client.enqueue(ingest, { path: join(FIXTURES, 'docs', 'tide-pools.txt') })).wait({
      timeoutMs: 60_000,
    });
    await searchFinds(w, 'sea urchins scraping algae in tide pools', 'tide-pools.txt');
    // The query expression search uses matches the index (on a table this small the planner
    // would rather sort a scan, so scans are made the last resort for this one plan).
    const space = w.rag.spaces.primary;
    const expr = vectorExpression(space, 'halfvec');
    const plan = await withPg(async (client) => {
      await client.query('BEGIN');
      await client.query('SET LOCAL enable_seqscan = off');
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT content_hash FROM "${env.LANES_PG_SCHEMA}".${table} ORDER BY ${expr.column} <=> $1::${expr.cast} LIMIT 5`,
        [`[${localEmbedding('sea urchins', space.dimensions).join(',')}]`],
      );
      await client.query('ROLLBACK');
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    });
    assert.match(plan, new RegExp(`Index Scan using ${rebuilt.index}`));
  });
});
