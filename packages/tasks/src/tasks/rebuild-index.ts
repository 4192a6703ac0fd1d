import { rebuildIndex } from '@lanes/contracts';
import { implement, type LanesMetrics, type TaskDefinition } from '@lanes/worker-core';
import type { CorpusVersion } from '../search/corpus-version.ts';
import type { Database } from '../store/database.ts';
import type { EmbeddingSpace, HnswParams } from '../store/embedding-spaces.ts';
import { rebuildHnswIndex } from '../store/index-builder.ts';

export interface RebuildIndexDeps {
  readonly db: Database;
  /** The spaces search reads: the live one, then the configured fallback model's while the configured model's is live. */
  readonly spaces: () => Promise<readonly EmbeddingSpace[]>;
  /** LANES_HNSW_M and LANES_HNSW_EF_CONSTRUCTION, for payloads that do not set them. */
  readonly index: HnswParams;
  readonly corpus: Pick<CorpusVersion, 'bump'>;
  readonly metrics: LanesMetrics;
}

/**
 * `rebuild-index` (low lane): a fresh HNSW index, built concurrently, for the spaces search
 * reads (live, then fallback), replacing older HNSW or IVFFlat indexes; then ANALYZE. Search and
 * ingest continue meanwhile. Progress from pg_stat_progress_create_index, also exported as
 * the gauge lanes_index_build_progress{index}.
 */
export function createRebuildIndexTask(deps: RebuildIndexDeps): TaskDefinition<typeof rebuildIndex> {
  const gauge = deps.metrics.gauge(
    'lanes_index_build_progress',
    'Progress (0..1) of the running vector index build, by embedding table',
    ['index'],
  );
  return implement(rebuildIndex, async (payload, ctx) => {
    const { index, db } = deps;
    const spaces = await deps.spaces();
    const m = payload.m ?? index.m;
    // pgvector needs ef_construction >= 2 * m; a job that raises only m raises it along.
    const params = {
      m,
      efConstruction: Math.max(payload.efConstruction ?? index.efConstruction, 2 * m),
      storage: index.storage,
    };
    const outcomes = [];
    for (const space of spaces) {
      let lastReport = 0;
      const outcome = await rebuildHnswIndex(db, space, params, {
        signal: ctx.signal,
        onProgress: (progress) => {
          gauge.set({ index: space.tableName }, progress.fraction);
          const now = Date.now();
          if (now - lastReport < 250 && progress.fraction < 1) return;
          lastReport = now;
          void ctx
            .progress({
              index: space.tableName,
              phase: progress.phase,
              fraction: Math.round(progress.fraction * 1000) / 1000,
            })
            .catch(() => undefined);
        },
      });
      outcomes.push(outcome);
      ctx.logger.info(
        { table: space.tableName, ...outcome },
        outcome.skipped ? 'index rebuild skipped: another is running' : 'index rebuilt',
      );
    }
    // ANN results may shift slightly with a new graph: cached results are recomputed.
    await deps.corpus.bump();
    const main = outcomes[0]!;
    return {
      index: main.index,
      rows: outcomes.reduce((sum, outcome) => sum + outcome.rows, 0),
      durationMs: outcomes.reduce((sum, outcome) => sum + outcome.durationMs, 0),
      replaced: main.replaced[0] ?? null,
      replacedAll: outcomes.flatMap((outcome) => outcome.replaced),
      skipped: outcomes.every((outcome) => outcome.skipped),
    };
  });
}
