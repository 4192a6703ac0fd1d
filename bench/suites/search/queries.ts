import type pg from 'pg';
import { TABLE } from './dataset.ts';

export interface QueryRun {
  readonly latenciesMs: number[];
  readonly ids: number[][];
}

/**
 * Runs each query once, sequentially on one connection, timing the round trip. `exact` turns
 * index scans off so PostgreSQL computes every distance (the ground truth).
 */
export async function runQueries(
  client: pg.Client,
  queries: readonly string[],
  k: number,
  mode: { exact: boolean; efSearch: number; halfvec?: boolean },
): Promise<QueryRun> {
  await client.query(`SET hnsw.ef_search = ${Math.trunc(mode.efSearch)}`);
  await client.query(`SET enable_indexscan = ${mode.exact ? 'off' : 'on'}`);
  const sql = `SELECT id FROM ${TABLE} ORDER BY ${orderBy(mode.halfvec === true)} LIMIT ${Math.trunc(k)}`;
  const latenciesMs: number[] = [];
  const ids: number[][] = [];
  try {
    for (const query of queries) {
      const startedAt = performance.now();
      const { rows } = await client.query<{ id: number }>(sql, [query]);
      latenciesMs.push(performance.now() - startedAt);
      ids.push(rows.map((row) => row.id));
    }
  } finally {
    await client.query('RESET enable_indexscan');
  }
  return { latenciesMs, ids };
}

/** The distance the index orders by: half precision is the app's LANES_VECTOR_STORAGE=halfvec index expression. */
export function orderBy(halfvec: boolean): string {
  return halfvec ? 'embedding::halfvec(384) <=> $1::halfvec(384)' : 'embedding <=> $1::vector';
}

/** Mean over queries of |approximate ∩ exact| / k. */
export function recallAtK(approximate: readonly number[][], exact: readonly number[][], k: number): number {
  let sum = 0;
  exact.forEach((truth, i) => {
    const found = new Set(approximate[i] ?? []);
    sum += truth.slice(0, k).filter((id) => found.has(id)).length / Math.min(k, truth.length || k);
  });
  return exact.length === 0 ? Number.NaN : sum / exact.length;
}

/** Whether the planner uses the HNSW index for the query shape above (guards the measurement). */
export async function usesIndex(client: pg.Client, query: string, halfvec = false): Promise<boolean> {
  const { rows } = await client.query<{ 'QUERY PLAN': string }>(
    `EXPLAIN SELECT id FROM ${TABLE} ORDER BY ${orderBy(halfvec)} LIMIT 10`,
    [query],
  );
  return rows.some((row) => /Index Scan using .*hnsw/i.test(row['QUERY PLAN']));
}
