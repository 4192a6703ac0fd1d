import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import { ingest, rebuildIndex } from '@lanes/contracts';
import { dropRagState, FIXTURES, ragTestEnv, sql, startRagWorker, type RagWorker } from './helpers.ts';

describe('LANES_VECTOR_STORAGE=halfvec', () => {
  const env = ragTestEnv('halfvec');
  let w: RagWorker | undefined;
  after(async () => {
    await w?.close();
    await dropRagState(env);
  });

  const vectorIndexes = async (table: string): Promise<Array<{ name: string; def: string }>> =>
    (await sql<{ name: string; def: string }>(env, 'SELECT indexname AS name, indexdef AS def FROM pg_indexes WHERE schemaname = $1 AND tablename = $2', [env.LANES_PG_SCHEMA, table])).filter(
      (row) => /USING hnsw/.test(row.def),
    );

  /** Index scans of `index` so far (statistics reach other sessions within about a second). */
  const scans = async (index: string): Promise<number> => {
    const [row] = await sql<{ n: string }>(env, 'SELECT idx_scan AS n FROM pg_stat_user_indexes WHERE schemaname = $1 AND indexrelname = $2', [env.LANES_PG_SCHEMA, index]);
    return Number(row?.n ?? 0);
  };

  const searchFinds = async (worker: RagWorker, query: string, source: string): Promise<void> => {
    const hits = (await worker.rag.search(query, 3, { mode: 'vector', record: false })).results;
    assert.ok(hits[0]?.source.endsWith(source), `${query}: ${hits.map((hit) => hit.source).join(', ')}`);
  };

  test('a space indexed at full precision switches to halfvec with rebuild-index; ingest and search use it', async () => {
    w = await startRagWorker(env);
    await (await w.worker.client.enqueue(ingest, { path: join(FIXTURES, 'docs', 'sourdough.txt') })).wait({ timeoutMs: 60_000 });
    const table = w.rag.services.primary.space.tableName;
    assert.match((await vectorIndexes(table))[0]!.def, /vector_cosine_ops/);
    // Vectors no chunk refers to, so the planner prefers the index to a scan of a tiny table.
    await sql(
      env,
      `INSERT INTO $schema.${table} (content_hash, embedding)
         SELECT 'filler-' || i, (SELECT array_agg(random() - 0.5) FROM generate_series(1, $1 + 0 * g.i) d)::vector FROM generate_series(1, 3000) g(i)`,
      [w.rag.services.primary.space.dimensions],
    );
    await sql(env, `ANALYZE $schema.${table}`);
    await w.close();

    w = await startRagWorker({ ...env, LANES_VECTOR_STORAGE: 'halfvec' });
    const rebuilt = await (await w.worker.client.enqueue(rebuildIndex, {})).wait({ timeoutMs: 90_000 });
    const indexes = await vectorIndexes(table);
    assert.equal(indexes.length, 1, 'the full-precision index is replaced');
    assert.equal(indexes[0]!.name, rebuilt.index);
    assert.match(indexes[0]!.def, /\(\(embedding\)::halfvec\(\d+\)\) halfvec_cosine_ops/);
    const [column] = await sql<{ type: string }>(env, `SELECT format_type(atttypid, atttypmod) AS type FROM pg_attribute WHERE attrelid = $1::regclass AND attname = 'embedding'`, [
      `${env.LANES_PG_SCHEMA}.${table}`,
    ]);
    assert.match(column!.type, /^vector\(/, 'the table keeps full-precision vectors');

    const before = await scans(rebuilt.index);
    await searchFinds(w, 'A sourdough starter is a culture of wild yeast and lactic acid bacteria', 'sourdough.txt');
    await (await w.worker.client.enqueue(ingest, { path: join(FIXTURES, 'docs', 'tide-pools.txt') })).wait({ timeoutMs: 60_000 });
    await searchFinds(w, 'sea urchins scraping algae in tide pools', 'tide-pools.txt');
    let after = before;
    for (let i = 0; i < 50 && after <= before; i++) {
      await sleep(100);
      after = await scans(rebuilt.index);
    }
    assert.ok(after > before, 'vector search scans the halfvec index');
  });
});
