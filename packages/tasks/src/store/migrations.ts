import { LanesError } from '@lanes/contracts';
import { ident, type Database, type DbClient } from './database.ts';

export interface Migration {
  readonly version: number;
  readonly name: string;
  /** DDL for the given (quoted) schema. */
  readonly sql: (schema: string) => string;
}

/**
 * Versioned, append-only. Never edit a released migration: add the next version.
 *
 * Documents and chunks are independent of any embedding model. Vectors live in one table per
 * embedding space (provider, model, dimensions), keyed by the chunk text's sha256, so a model
 * change can never mix vectors, and equal texts (in one document or many) are embedded once.
 * `generation` lets a changed document be staged beside the live one and swapped atomically.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'documents, chunks, embedding spaces',
    sql: (s) => `
      CREATE TABLE ${s}.documents (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        source text NOT NULL UNIQUE,
        content_hash text,
        metadata jsonb NOT NULL DEFAULT '{}'::jsonb,
        status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready')),
        pages integer NOT NULL DEFAULT 0,
        chunk_count integer NOT NULL DEFAULT 0,
        generation integer NOT NULL DEFAULT 0,
        pending_generation integer,
        pending_hash text,
        pending_pages integer,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE ${s}.chunks (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        document_id bigint NOT NULL REFERENCES ${s}.documents (id) ON DELETE CASCADE,
        generation integer NOT NULL,
        chunk_index integer NOT NULL,
        text text NOT NULL CHECK (text <> ''),
        content_hash text NOT NULL,
        token_count integer NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (document_id, generation, chunk_index)
      );
      CREATE INDEX chunks_content_hash_idx ON ${s}.chunks (content_hash);
      CREATE TABLE ${s}.embedding_spaces (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        provider text NOT NULL,
        model text NOT NULL,
        dimensions integer NOT NULL CHECK (dimensions > 0),
        table_name text NOT NULL UNIQUE,
        created_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (provider, model, dimensions)
      );
    `,
  },
  {
    version: 2,
    name: 'pending generations know their job and keep their metadata apart',
    // A staged version's metadata waits beside the live one (search filters on the live one),
    // and the ingest job that staged it is recorded, so a reconciler can tell an abandoned
    // staging from one in progress.
    sql: (s) => `
      ALTER TABLE ${s}.documents ADD COLUMN pending_metadata jsonb, ADD COLUMN pending_job text;
      CREATE INDEX documents_pending_idx ON ${s}.documents (id) WHERE pending_generation IS NOT NULL;
    `,
  },
  {
    version: 3,
    name: 'lexical index (BM25 term statistics), chunk pages',
    sql: lexicalIndexMigration,
  },
  {
    version: 4,
    name: 'documents and chunks belong to a tenant',
    // A document's identity becomes (tenant, source): the same source under two tenants is two
    // documents. '' is "no tenant" (no tenant id can be empty), so the identity and every search's
    // tenant predicate are plain equalities (see tenant-scope.ts). Chunks carry their document's
    // tenant, so searches filter chunks without joining documents; the composite foreign key
    // makes a chunk's tenant its document's, whoever writes the row.
    sql: (s) => `
      ALTER TABLE ${s}.documents ADD COLUMN tenant text NOT NULL DEFAULT '';
      ALTER TABLE ${s}.documents DROP CONSTRAINT documents_source_key;
      ALTER TABLE ${s}.documents ADD CONSTRAINT documents_tenant_source_key UNIQUE (tenant, source);
      ALTER TABLE ${s}.documents ADD CONSTRAINT documents_id_tenant_key UNIQUE (id, tenant);
      ALTER TABLE ${s}.chunks ADD COLUMN tenant text NOT NULL DEFAULT '';
      ALTER TABLE ${s}.chunks DROP CONSTRAINT chunks_document_id_fkey;
      ALTER TABLE ${s}.chunks ADD CONSTRAINT chunks_document_tenant_fkey
        FOREIGN KEY (document_id, tenant) REFERENCES ${s}.documents (id, tenant) ON DELETE CASCADE;
    `,
  },
  {
    version: 5,
    name: 'live embedding space and embedding migrations',
    // Which space search reads is data, not only configuration: `lanes migrate-embeddings`
    // switches it for every process at once. No row: the configured EMBEDDING_MODEL's space is
    // live. `shadow_space_id` is a second space every new vector is also written into: the
    // target while a migration runs (or after it was refused), the previous space after a
    // switch (kept for rollback until --drop-old).
    sql: (s) => `
      CREATE TABLE ${s}.embedding_settings (
        id integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
        live_space_id integer NOT NULL REFERENCES ${s}.embedding_spaces (id),
        shadow_space_id integer REFERENCES ${s}.embedding_spaces (id) ON DELETE SET NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CHECK (shadow_space_id IS DISTINCT FROM live_space_id)
      );
      CREATE TABLE ${s}.embedding_migrations (
        id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        from_space_id integer NOT NULL,
        to_space_id integer NOT NULL,
        state text NOT NULL CHECK (state IN ('embedding', 'indexing', 'evaluating', 'switched', 'refused', 'failed', 'rolled-back')),
        force boolean NOT NULL DEFAULT false,
        eval_cases jsonb,
        eval_report jsonb,
        reason text,
        job_id text,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz
      );
      -- One migration at a time, however many CLIs start one at once.
      CREATE UNIQUE INDEX embedding_migrations_running_idx ON ${s}.embedding_migrations ((true)) WHERE state IN ('embedding', 'indexing', 'evaluating');
    `,
  },
  {
    version: 6,
    name: 'chunk section headings',
    // The title of the section a chunk is in (chunker-v5), returned with search hits.
    sql: (s) => `ALTER TABLE ${s}.chunks ADD COLUMN heading text;`,
  },
  {
    version: 7,
    name: 'lexical statistics added by the writers that make chunks live (set-based), not by insert and update triggers',
    // Inserted chunks are never live, yet the insert trigger copied every staged row (text
    // included) into a transition table; flipping `live` copied each row twice more. Finalise
    // and the backfill now add the statistics in the statement that makes rows count
    // (`lexical_stats_add` below). Deletes keep their trigger: a document deleted by any route,
    // cascades included, still leaves the statistics right.
    sql: (s) => `
      DROP TRIGGER chunks_lexical_insert ON ${s}.chunks;
      DROP TRIGGER chunks_lexical_update ON ${s}.chunks;
      DROP FUNCTION ${s}.lexical_stats_on_insert();
      DROP FUNCTION ${s}.lexical_stats_on_update();
      CREATE FUNCTION ${s}.lexical_stats_add(chunk_ids bigint[]) RETURNS void LANGUAGE plpgsql AS $fn$
        ${applyLexicalDelta(s, `SELECT lexemes AS terms, lexical_length AS length, 1 AS sign FROM ${s}.chunks WHERE id = ANY(chunk_ids) AND live AND lexemes IS NOT NULL`, 'RETURN;')}
      $fn$;
    `,
  },
];

/**
 * Each chunk carries its terms (distinct, sorted), their frequencies and its length in terms
 * (see lexical/tokenise.ts), and `live`: true exactly while its generation is the document's
 * live one. Corpus statistics for BM25 (document frequency per term, chunk count, total
 * length) count live chunks only and are kept by statement-level triggers on `chunks` (since
 * migration 7: the delete trigger, and `lexical_stats_add` called where chunks go live), so they
 * change in the transaction that changes what is live, whoever runs it (finalise, a document
 * delete cascading to its chunks, a backfill), and can never drift from what search returns.
 * Rows without terms (written before this migration, until backfilled) count for nothing.
 * Statistics are per schema and independent of any embedding space.
 */
/**
 * The one rule for the statistics, as a PL/pgSQL body: subtract what rows leaving the live set
 * contributed, add what rows entering it do (`contributions`: terms, length, sign +1/-1). Terms
 * whose df drops to 0 are deleted by primary key (`emptied`): a semi-join against the unnested
 * transition rows was planned as a nested loop and took minutes for a few hundred chunks.
 */
function applyLexicalDelta(s: string, contributions: string, finish: string): string {
  return `
    DECLARE
      emptied text[];
    BEGIN
      UPDATE ${s}.lexical_corpus SET
        chunk_count = chunk_count + (SELECT coalesce(sum(sign), 0) FROM (${contributions}) d),
        total_length = total_length + (SELECT coalesce(sum(sign * length), 0) FROM (${contributions}) d);
      WITH changed AS (
        INSERT INTO ${s}.lexical_terms AS t (term, df)
          SELECT term, sum(d.sign) FROM (${contributions}) d, unnest(d.terms) AS term
           GROUP BY term HAVING sum(d.sign) <> 0 ORDER BY term
        ON CONFLICT (term) DO UPDATE SET df = t.df + EXCLUDED.df
        RETURNING t.term, t.df)
      SELECT array_agg(term) INTO emptied FROM changed WHERE df <= 0;
      IF emptied IS NOT NULL THEN
        DELETE FROM ${s}.lexical_terms WHERE term = ANY(emptied) AND df <= 0;
      END IF;
      ${finish}
    END`;
}

function lexicalIndexMigration(s: string): string {
  const applyDelta = (contributions: string): string => applyLexicalDelta(s, contributions, 'RETURN NULL;');
  const contributing = (rows: string, sign: number): string =>
    `SELECT lexemes AS terms, lexical_length AS length, ${sign} AS sign FROM ${rows} WHERE live AND lexemes IS NOT NULL`;
  return `
      ALTER TABLE ${s}.chunks
        ADD COLUMN live boolean NOT NULL DEFAULT false,
        ADD COLUMN lexemes text[],
        ADD COLUMN term_freqs integer[],
        ADD COLUMN lexical_length integer,
        ADD COLUMN page_start integer,
        ADD COLUMN page_end integer;
      UPDATE ${s}.chunks c SET live = true FROM ${s}.documents d WHERE d.id = c.document_id AND d.generation = c.generation;
      CREATE INDEX chunks_lexemes_idx ON ${s}.chunks USING gin (lexemes) WHERE live;
      CREATE INDEX chunks_unindexed_idx ON ${s}.chunks (id) WHERE lexemes IS NULL;
      CREATE TABLE ${s}.lexical_terms (term text PRIMARY KEY, df integer NOT NULL);
      CREATE TABLE ${s}.lexical_corpus (
        id integer PRIMARY KEY DEFAULT 1 CHECK (id = 1),
        chunk_count bigint NOT NULL DEFAULT 0,
        total_length bigint NOT NULL DEFAULT 0,
        -- TOKENISER_VERSION the stored terms were made with (set on start, see lexical-backfill.ts).
        tokeniser text NOT NULL DEFAULT ''
      );
      INSERT INTO ${s}.lexical_corpus DEFAULT VALUES;
      CREATE FUNCTION ${s}.lexical_stats_on_insert() RETURNS trigger LANGUAGE plpgsql AS $fn$ ${applyDelta(contributing('new_rows', 1))} $fn$;
      CREATE FUNCTION ${s}.lexical_stats_on_update() RETURNS trigger LANGUAGE plpgsql AS $fn$ ${applyDelta(`${contributing('old_rows', -1)} UNION ALL ${contributing('new_rows', 1)}`)} $fn$;
      CREATE FUNCTION ${s}.lexical_stats_on_delete() RETURNS trigger LANGUAGE plpgsql AS $fn$ ${applyDelta(contributing('old_rows', -1))} $fn$;
      CREATE TRIGGER chunks_lexical_insert AFTER INSERT ON ${s}.chunks REFERENCING NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION ${s}.lexical_stats_on_insert();
      CREATE TRIGGER chunks_lexical_update AFTER UPDATE ON ${s}.chunks REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
        FOR EACH STATEMENT EXECUTE FUNCTION ${s}.lexical_stats_on_update();
      CREATE TRIGGER chunks_lexical_delete AFTER DELETE ON ${s}.chunks REFERENCING OLD TABLE AS old_rows
        FOR EACH STATEMENT EXECUTE FUNCTION ${s}.lexical_stats_on_delete();
    `;
}

export class MigrationError extends LanesError {
  constructor(message: string, context: Record<string, unknown> = {}, options?: ErrorOptions) {
    super('MIGRATION_FAILED', message, context, options);
  }
}

/** A process that only reads found the schema older than its code: only workers migrate. */
export class SchemaNotMigratedError extends LanesError {
  constructor(schema: string, version: number, needed: number) {
    super(
      'SCHEMA_NOT_MIGRATED',
      `PostgreSQL schema "${schema}" is ${version === 0 ? 'not migrated' : `at migration ${version}`}, this version of Lanes needs ${needed}: start a worker with the built-in tasks (\`lanes worker\`), which migrates it, then try again`,
      { schema, version, needed },
    );
  }
}

/** The newest migration this code knows. */
export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((migration) => migration.version));

/** Throws SchemaNotMigratedError unless the schema has every migration; reads only, so it creates nothing. */
export async function assertMigrated(client: DbClient, schema: string): Promise<void> {
  const table = `${ident(schema)}.lanes_migrations`;
  const { rows } = await client.query<{ present: boolean }>('SELECT to_regclass($1) IS NOT NULL AS present', [table]);
  let version = 0;
  if (rows[0]?.present === true) {
    const applied = await client.query<{ version: number }>(
      `SELECT coalesce(max(version), 0)::int AS version FROM ${table}`,
    );
    version = applied.rows[0]?.version ?? 0;
  }
  if (version < SCHEMA_VERSION) throw new SchemaNotMigratedError(schema, version, SCHEMA_VERSION);
}

/** One lock for every schema: CREATE EXTENSION and CREATE SCHEMA race across schemas too. */
const MIGRATION_LOCK = "hashtext('lanes:migrations')";

async function ensureVectorExtension(client: DbClient): Promise<void> {
  const { rowCount } = await client.query("SELECT 1 FROM pg_extension WHERE extname = 'vector'");
  if (rowCount !== null && rowCount > 0) return;
  try {
    await client.query('CREATE EXTENSION IF NOT EXISTS vector WITH SCHEMA public');
  } catch (error) {
    throw new MigrationError(
      `the pgvector extension is not installed and could not be created (${(error as Error).message}); install pgvector and run CREATE EXTENSION vector as a superuser`,
      {},
      { cause: error },
    );
  }
}

/**
 * Applies missing migrations in order, each recorded in `lanes_migrations`. Safe when many
 * workers start at once: the first takes a transaction-scoped advisory lock and migrates;
 * the others wait on the lock, then find nothing left to do.
 */
export async function migrate(db: Database): Promise<number[]> {
  const s = ident(db.schema);
  return db.transaction(
    async (client) => {
      await client.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`);
      await ensureVectorExtension(client);
      await client.query(`CREATE SCHEMA IF NOT EXISTS ${s}`);
      await client.query(`
        CREATE TABLE IF NOT EXISTS ${s}.lanes_migrations (
          version integer PRIMARY KEY,
          name text NOT NULL,
          applied_at timestamptz NOT NULL DEFAULT now()
        )`);
      const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${s}.lanes_migrations`);
      const done = new Set(rows.map((row) => row.version));
      const applied: number[] = [];
      for (const migration of MIGRATIONS) {
        if (done.has(migration.version)) continue;
        try {
          await client.query(migration.sql(s));
        } catch (error) {
          throw new MigrationError(
            `migration ${migration.version} (${migration.name}) failed: ${(error as Error).message}`,
            { version: migration.version },
            { cause: error },
          );
        }
        await client.query(`INSERT INTO ${s}.lanes_migrations (version, name) VALUES ($1, $2)`, [
          migration.version,
          migration.name,
        ]);
        applied.push(migration.version);
      }
      return applied;
    },
    { vectorTypes: false },
  );
}
