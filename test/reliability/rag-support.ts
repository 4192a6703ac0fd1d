// RAG helpers for the reliability suite: a generated multi-document corpus, a snapshot of what
// ingestion left in PostgreSQL (documents, live and stale chunks, vectors, orphans), and waiting
// for a set of jobs to settle.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { FIXTURES } from '../rag/helpers.ts';

export const REAL_PDFS = ['libtasn1-manual.pdf', 'shared-mime-info-spec.pdf'].map((name) =>
  join(FIXTURES, 'pdf', name),
);
export const FIXTURE_DOCS = ['hnsw-indexes.md', 'sourdough.txt', 'redis-persistence.md', 'tide-pools.txt'].map((name) =>
  join(FIXTURES, 'docs', name),
);

const WORDS = [
  'harbour',
  'lantern',
  'granite',
  'meadow',
  'copper',
  'falcon',
  'orchard',
  'glacier',
  'ember',
  'willow',
  'quartz',
  'saffron',
  'tundra',
  'cobalt',
  'juniper',
  'basalt',
  'heron',
  'marble',
  'thistle',
  'cedar',
  'plover',
  'amber',
  'fjord',
  'lichen',
  'oxide',
  'pumice',
  'ridge',
  'sorrel',
  'talon',
  'umber',
  'vervain',
  'walrus',
  'yarrow',
  'zephyr',
  'bramble',
  'cinder',
];

/** Deterministic pseudo-random text: the same (doc, section) always yields the same sentences. */
function section(doc: number, index: number): string {
  let state = (doc * 7919 + index * 104_729 + 17) >>> 0;
  const next = (): number => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state;
  };
  const sentences: string[] = [];
  for (let s = 0; s < 6; s += 1) {
    const words = Array.from({ length: 10 + (next() % 8) }, () => WORDS[next() % WORDS.length]!);
    sentences.push(`${words.join(' ')} number ${doc}.${index}.${s}.`);
  }
  return `## Part ${index} of document ${doc}\n\n${sentences.join(' ')}`;
}

/**
 * Writes `count` markdown documents of 1 to ~24 sections (1 to ~8 chunks at 400 tokens) into
 * `dir` and returns their paths. Every document's text is distinct.
 */
export function writeCorpus(dir: string, count: number): string[] {
  mkdirSync(dir, { recursive: true });
  return Array.from({ length: count }, (_, doc) => {
    const sections = 1 + ((doc * 5) % 24);
    const path = join(dir, `doc-${String(doc).padStart(3, '0')}.md`);
    writeFileSync(
      path,
      `# Generated document ${doc}\n\n${Array.from({ length: sections }, (_, i) => section(doc, i)).join('\n\n')}\n`,
    );
    return path;
  });
}

export interface CorpusSnapshot {
  readonly documents: number;
  readonly ready: number;
  /** Documents with a staged generation that never went live. */
  readonly pending: number;
  readonly liveChunks: number;
  /** Chunks of a generation that is not the document's live one (left over by a crash). */
  readonly staleChunks: number;
  /** Live chunks whose document records another chunk count. */
  readonly countMismatches: number;
  /** The same (document, chunk index) live twice. */
  readonly duplicateChunks: number;
  readonly vectors: number;
  /** Vectors of a text no chunk has. */
  readonly orphanVectors: number;
  /** Live chunks without a vector. */
  readonly missingVectors: number;
  /** `source#index:hash` for every live chunk, sorted: equal corpora give equal lists. */
  readonly signature: readonly string[];
  /** Live chunk count per source. */
  readonly perSource: ReadonlyMap<string, number>;
}

/** What ingestion left in `schema` (one embedding space expected). */
export async function snapshotCorpus(databaseUrl: string, schema: string): Promise<CorpusSnapshot> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const s = `"${schema}"`;
    const one = async (sql: string): Promise<number> =>
      Number((await client.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
    const spaces = (
      await client.query<{ table_name: string }>(`SELECT table_name FROM ${s}.embedding_spaces ORDER BY id`)
    ).rows;
    if (spaces.length !== 1) throw new Error(`expected one embedding space in ${schema}, found ${spaces.length}`);
    const vectors = `${s}."${spaces[0]!.table_name}"`;
    const live = `${s}.chunks c JOIN ${s}.documents d ON d.id = c.document_id AND c.generation = d.generation`;
    const rows = (
      await client.query<{ source: string; chunk_index: number; content_hash: string }>(
        `SELECT d.source, c.chunk_index, c.content_hash FROM ${live} ORDER BY d.source, c.chunk_index`,
      )
    ).rows;
    const perSource = new Map<string, number>();
    for (const row of rows) perSource.set(row.source, (perSource.get(row.source) ?? 0) + 1);
    return {
      documents: await one(`SELECT count(*) AS n FROM ${s}.documents`),
      ready: await one(`SELECT count(*) AS n FROM ${s}.documents WHERE status = 'ready'`),
      pending: await one(`SELECT count(*) AS n FROM ${s}.documents WHERE pending_generation IS NOT NULL`),
      liveChunks: rows.length,
      staleChunks: await one(
        `SELECT count(*) AS n FROM ${s}.chunks c JOIN ${s}.documents d ON d.id = c.document_id WHERE c.generation <> d.generation`,
      ),
      countMismatches: await one(
        `SELECT count(*) AS n FROM ${s}.documents d WHERE d.chunk_count <> (SELECT count(*) FROM ${s}.chunks c WHERE c.document_id = d.id AND c.generation = d.generation)`,
      ),
      duplicateChunks: await one(
        `SELECT count(*) AS n FROM (SELECT c.document_id, c.chunk_index FROM ${live} GROUP BY 1, 2 HAVING count(*) > 1) x`,
      ),
      vectors: await one(`SELECT count(*) AS n FROM ${vectors}`),
      orphanVectors: await one(
        `SELECT count(*) AS n FROM ${vectors} e WHERE NOT EXISTS (SELECT 1 FROM ${s}.chunks c WHERE c.content_hash = e.content_hash)`,
      ),
      missingVectors: await one(
        `SELECT count(*) AS n FROM ${live} WHERE NOT EXISTS (SELECT 1 FROM ${vectors} e WHERE e.content_hash = c.content_hash)`,
      ),
      signature: rows.map((row) => `${row.source}#${row.chunk_index}:${row.content_hash}`),
      perSource,
    };
  } finally {
    await client.end();
  }
}

/** The integrity half of a snapshot: everything that must be zero after any run. */
export function integrity(snapshot: CorpusSnapshot): Record<string, number> {
  return {
    pending: snapshot.pending,
    staleChunks: snapshot.staleChunks,
    countMismatches: snapshot.countMismatches,
    duplicateChunks: snapshot.duplicateChunks,
    orphanVectors: snapshot.orphanVectors,
    missingVectors: snapshot.missingVectors,
    notReady: snapshot.documents - snapshot.ready,
  };
}

export const CLEAN: Record<string, number> = {
  pending: 0,
  staleChunks: 0,
  countMismatches: 0,
  duplicateChunks: 0,
  orphanVectors: 0,
  missingVectors: 0,
  notReady: 0,
};

export { settle } from './helpers.ts';
