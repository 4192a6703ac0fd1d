import type { AnyTaskContract } from '../task-contract.ts';
import { batchEmbed } from './batch-embed.ts';
import { cacheWarming } from './cache-warming.ts';
import { ingest } from './ingest.ts';
import { migrateEmbeddings, migrateEmbeddingsBatch } from './migrate-embeddings.ts';
import { rebuildIndex } from './rebuild-index.ts';
import { reconcile } from './reconcile.ts';
import { search } from './search.ts';

export * from './batch-embed.ts';
export * from './cache-warming.ts';
export * from './ingest.ts';
export * from './migrate-embeddings.ts';
export * from './rebuild-index.ts';
export * from './reconcile.ts';
export * from './search.ts';

export const builtinContracts: readonly AnyTaskContract[] = [
  ingest,
  batchEmbed,
  rebuildIndex,
  cacheWarming,
  reconcile,
  search,
  migrateEmbeddings,
  migrateEmbeddingsBatch,
];
