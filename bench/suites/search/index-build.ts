import type pg from 'pg';
import { TABLE } from './dataset.ts';
import { vectorLiteral, type ClusteredSpace } from './vectors.ts';

export interface BuildOutcome {
  readonly buildMs: number;
  /** Rows a concurrent writer got in while the build ran (10-row inserts every 50 ms offered). */
  readonly rowsWrittenDuringBuild: number;
  /** Longest single insert of that writer: how long writes stalled. */
  readonly maxWriteStallMs: number;
}

export interface BuildSettings {
  readonly m: number;
  readonly efConstruction: number;
  readonly maintenanceWorkMem: string;
}

export const INDEX = 'chunks_embedding_hnsw';

/** The writer's pace: 10 rows every 50 ms (200 rows/s offered), like a steady ingest. */
export const WRITE_EVERY_MS = 50;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Builds the HNSW index, plain or CONCURRENTLY, while a second connection keeps inserting rows,
 * and reports how long the build took and what the writer saw meanwhile.
 */
export async function buildWithWriter(
  connect: () => Promise<pg.Client>,
  space: ClusteredSpace,
  nextId: { value: number },
  settings: BuildSettings,
  concurrently: boolean,
): Promise<BuildOutcome> {
  const builder = await connect();
  const writer = await connect();
  const pool = Array.from({ length: 200 }, () => vectorLiteral(space.next()));
  let building = true;
  let rowsDuringBuild = 0;
  let maxStall = 0;
  const writing = (async () => {
    for (let round = 0; building; round++) {
      const ids = Array.from({ length: 10 }, () => nextId.value++);
      const vectors = ids.map((_, i) => pool[(round * 10 + i) % pool.length]!);
      const startedAt = performance.now();
      await writer.query(`INSERT INTO ${TABLE} (id, embedding) SELECT * FROM unnest($1::int[], $2::vector[])`, [
        ids,
        vectors,
      ]);
      const took = performance.now() - startedAt;
      maxStall = Math.max(maxStall, took);
      if (building) rowsDuringBuild += ids.length;
      if (building && took < WRITE_EVERY_MS) await sleep(WRITE_EVERY_MS - took);
    }
  })();
  try {
    await builder.query(`SET maintenance_work_mem = '${settings.maintenanceWorkMem}'`);
    const startedAt = performance.now();
    await builder.query(
      `CREATE INDEX ${concurrently ? 'CONCURRENTLY ' : ''}${INDEX} ON ${TABLE} USING hnsw (embedding vector_cosine_ops) ` +
        `WITH (m = ${Math.trunc(settings.m)}, ef_construction = ${Math.trunc(settings.efConstruction)})`,
    );
    const buildMs = performance.now() - startedAt;
    building = false;
    await writing;
    return { buildMs, rowsWrittenDuringBuild: rowsDuringBuild, maxWriteStallMs: maxStall };
  } finally {
    building = false;
    await writing.catch(() => undefined);
    await Promise.all([builder.end(), writer.end()]);
  }
}
