import { sha256 } from '../hashing.ts';
import type { Database, DbClient } from './database.ts';

/** One (provider, model, dimensions): vectors are only ever compared within a space. */
export interface EmbeddingSpace {
  readonly id: number;
  readonly provider: string;
  readonly model: string;
  readonly dimensions: number;
  readonly tableName: string;
  /** Schema-qualified, quoted. */
  readonly table: string;
}

export interface SpaceIdentity {
  readonly provider: string;
  readonly model: string;
  readonly dimensions: number;
}

/**
 * Precision of the HNSW index (LANES_VECTOR_STORAGE): `halfvec` indexes the vectors as 16-bit
 * floats, half the index's memory, and allows up to 4000 dimensions; the table keeps the full
 * vectors either way, so switching needs only a rebuild-index, no re-embedding.
 */
export const VECTOR_STORAGES = ['vector', 'halfvec'] as const;
export type VectorStorage = (typeof VECTOR_STORAGES)[number];

export interface HnswParams {
  readonly m: number;
  readonly efConstruction: number;
  readonly storage: VectorStorage;
}

/**
 * A space gets its HNSW index once it holds `minRows` vectors (0: from the start). Below that,
 * search scans exactly (perfect recall; about 5 ms per 10k 384-d vectors here) and a bulk load
 * writes heap rows only: every row inserted into an HNSW index is a graph search and costs
 * about six times a plain insert (pgvector's advice: load first, index after).
 */
export interface IndexPolicy extends HnswParams {
  readonly minRows: number;
}

/** `vector` indexes stop at 2000 dimensions; up to 4000 are indexed as half precision. */
const MAX_FULL_PRECISION_INDEX = 2000;

/** `emb_<model slug>_<dims>_<hash>`: readable in psql, unique per space, within 63 bytes. */
export function spaceTableName(space: SpaceIdentity): string {
  const slug = space.model
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 24);
  const tag = sha256(`${space.provider}\0${space.model}\0${space.dimensions}`).slice(0, 8);
  return `emb_${slug}_${space.dimensions}_${tag}`;
}

/** The indexed expression and the matching query expression for a parameter placeholder. */
export function vectorExpression(
  space: Pick<EmbeddingSpace, 'dimensions'>,
  storage: VectorStorage,
): { column: string; opclass: string; cast: string } {
  if (storage === 'vector' && space.dimensions <= MAX_FULL_PRECISION_INDEX)
    return { column: 'embedding', opclass: 'vector_cosine_ops', cast: `vector(${space.dimensions})` };
  const half = `halfvec(${space.dimensions})`;
  return { column: `(embedding::${half})`, opclass: 'halfvec_cosine_ops', cast: half };
}

export function hnswIndexSql(
  space: EmbeddingSpace,
  indexName: string,
  params: HnswParams,
  concurrently: boolean,
): string {
  const expr = vectorExpression(space, params.storage);
  return `CREATE INDEX ${concurrently ? 'CONCURRENTLY ' : ''}IF NOT EXISTS "${indexName}" ON ${space.table}
    USING hnsw (${expr.column} ${expr.opclass}) WITH (m = ${params.m}, ef_construction = ${params.efConstruction})`;
}

function toSpace(
  db: Database,
  row: { id: number; provider: string; model: string; dimensions: number; table_name: string },
): EmbeddingSpace {
  return {
    id: row.id,
    provider: row.provider,
    model: row.model,
    dimensions: row.dimensions,
    tableName: row.table_name,
    table: db.table(row.table_name),
  };
}

async function findSpace(db: Database, client: DbClient, identity: SpaceIdentity): Promise<EmbeddingSpace | undefined> {
  const { rows } = await client.query(
    `SELECT id, provider, model, dimensions, table_name FROM ${db.table('embedding_spaces')} WHERE provider = $1 AND model = $2 AND dimensions = $3`,
    [identity.provider, identity.model, identity.dimensions],
  );
  return rows[0] === undefined ? undefined : toSpace(db, rows[0]);
}

/** The space's vector table when a worker has created it; creates nothing. */
export async function lookupSpace(db: Database, identity: SpaceIdentity): Promise<EmbeddingSpace | undefined> {
  return db.withClient((client) => findSpace(db, client, identity), { vectorTypes: false });
}

/**
 * Finds or creates the vector table of a space; with its HNSW index from the start only when
 * `policy.minRows` is 0 (else `indexWhenLarge` builds it once the space is large enough;
 * inserts keep it current and `rebuild-index` rebuilds it concurrently later). Creation is
 * serialised by an advisory lock so workers starting together create it once.
 */
export async function ensureSpace(db: Database, identity: SpaceIdentity, policy: IndexPolicy): Promise<EmbeddingSpace> {
  const existing = await lookupSpace(db, identity);
  if (existing !== undefined) return existing;
  return db.transaction(
    async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`lanes:spaces:${db.schema}`]);
      const found = await findSpace(db, client, identity);
      if (found !== undefined) return found;
      const tableName = spaceTableName(identity);
      const { rows } = await client.query(
        `INSERT INTO ${db.table('embedding_spaces')} (provider, model, dimensions, table_name) VALUES ($1, $2, $3, $4)
         RETURNING id, provider, model, dimensions, table_name`,
        [identity.provider, identity.model, identity.dimensions, tableName],
      );
      const space = toSpace(db, rows[0]);
      await client.query(`
        CREATE TABLE IF NOT EXISTS ${space.table} (
          content_hash text PRIMARY KEY,
          embedding vector(${space.dimensions}) NOT NULL,
          created_at timestamptz NOT NULL DEFAULT now()
        )`);
      if (policy.minRows === 0) await client.query(hnswIndexSql(space, `${tableName}_hnsw`, policy, false));
      return space;
    },
    { vectorTypes: false },
  );
}

export async function listSpaces(db: Database): Promise<EmbeddingSpace[]> {
  return db.withClient(
    async (client) => {
      const { rows } = await client.query(
        `SELECT id, provider, model, dimensions, table_name FROM ${db.table('embedding_spaces')} ORDER BY id`,
      );
      return rows.map((row) => toSpace(db, row));
    },
    { vectorTypes: false },
  );
}
