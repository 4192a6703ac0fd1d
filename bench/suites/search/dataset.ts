import type pg from 'pg';
import { vectorLiteral, type ClusteredSpace } from './vectors.ts';

export const TABLE = 'chunks';

/** A schema of its own per run, dropped at the end: the bench never touches the app's tables. */
export async function createSchema(client: pg.Client, schema: string, dimensions: number): Promise<void> {
  await client.query('CREATE EXTENSION IF NOT EXISTS vector');
  await client.query(`CREATE SCHEMA "${schema}"`);
  await client.query(`SET search_path = "${schema}", public`);
  await client.query(`CREATE TABLE ${TABLE} (id integer PRIMARY KEY, embedding vector(${dimensions}) NOT NULL)`);
}

export async function dropSchema(client: pg.Client, schema: string): Promise<void> {
  await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** Inserts `count` generated rows from id `firstId` with multi-row unnest inserts; returns rows/s. */
export async function load(
  client: pg.Client,
  space: ClusteredSpace,
  firstId: number,
  count: number,
  batch = 1000,
  onProgress?: (done: number) => void,
): Promise<number> {
  const startedAt = performance.now();
  for (let done = 0; done < count; ) {
    const n = Math.min(batch, count - done);
    const ids = Array.from({ length: n }, (_, i) => firstId + done + i);
    const vectors = Array.from({ length: n }, () => vectorLiteral(space.next()));
    await client.query(`INSERT INTO ${TABLE} (id, embedding) SELECT * FROM unnest($1::int[], $2::vector[])`, [
      ids,
      vectors,
    ]);
    done += n;
    if (onProgress !== undefined && done % (batch * 50) === 0) onProgress(done);
  }
  return (count * 1000) / (performance.now() - startedAt);
}
