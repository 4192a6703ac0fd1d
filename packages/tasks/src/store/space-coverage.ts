import type { Database, DbClient } from './database.ts';
import type { ChunkRef, StoredChunk } from './documents.ts';
import type { EmbeddingSpace } from './embedding-spaces.ts';

export interface Coverage {
  /** Distinct chunk texts (live and staged generations). */
  readonly texts: number;
  /** Of those, the texts with a vector in the space. */
  readonly embedded: number;
}

/**
 * One chunk per distinct text, over every chunk row (live documents and staged generations
 * alike), that has no vector in `space`: what a migration still has to embed.
 */
export async function chunksMissingIn(db: Database, space: EmbeddingSpace, client?: DbClient): Promise<ChunkRef[]> {
  const read = async (c: DbClient): Promise<ChunkRef[]> => {
    const { rows } = await c.query<{ id: string; content_hash: string }>(
      `SELECT min(c.id)::text AS id, c.content_hash FROM ${db.table('chunks')} c
        WHERE NOT EXISTS (SELECT 1 FROM ${space.table} e WHERE e.content_hash = c.content_hash)
        GROUP BY c.content_hash ORDER BY min(c.id)`,
    );
    return rows.map((row) => ({ id: row.id, hash: row.content_hash }));
  };
  return client === undefined ? db.withClient(read, { vectorTypes: false }) : read(client);
}

export async function coverageOf(db: Database, space: EmbeddingSpace): Promise<Coverage> {
  return db.withClient(
    async (client) => {
      const { rows } = await client.query<{ texts: number; embedded: number }>(
        `SELECT count(*)::int AS texts, count(e.content_hash)::int AS embedded
         FROM (SELECT DISTINCT content_hash FROM ${db.table('chunks')}) c
         LEFT JOIN ${space.table} e ON e.content_hash = c.content_hash`,
      );
      return rows[0]!;
    },
    { vectorTypes: false },
  );
}

/** Chunks by id, whichever documents they belong to. */
export async function chunksById(db: Database, ids: readonly string[]): Promise<StoredChunk[]> {
  return db.withClient(
    async (client) => {
      const { rows } = await client.query<{ id: string; content_hash: string; text: string; token_count: number }>(
        `SELECT id::text AS id, content_hash, text, token_count FROM ${db.table('chunks')} WHERE id = ANY($1::bigint[]) ORDER BY id`,
        [ids],
      );
      return rows.map((row) => ({ id: row.id, hash: row.content_hash, text: row.text, tokens: row.token_count }));
    },
    { vectorTypes: false },
  );
}
