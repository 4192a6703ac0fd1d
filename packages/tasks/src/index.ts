export {
  loadRagConfig,
  resolveEmbeddingSpace,
  type RagConfig,
  type EmbeddingConfig,
  type SpaceProblem,
} from './config.ts';
export { EmbeddingMigrations, type MigrationStatus, type SpaceView } from './migration/control.ts';
export {
  createRagReader,
  createRagRuntime,
  type ActiveSpaces,
  type RagOptions,
  type RagReader,
  type RagRuntime,
  type ReadinessCheck,
  type Search,
} from './composition.ts';
export {
  registerEmbeddingProvider,
  type EmbeddingProviderAdapter,
  type ModelShape,
  type ProviderContext,
} from './embed/providers.ts';
export type { Embedding } from './embed/embedding.ts';
export type { EmbedBatchResult, EmbeddingProvider, ProviderLimits } from './embed/provider.ts';
export { assertAllowedPath } from './paths.ts';
export {
  DocumentRejectedError,
  EmbeddingRejectedError,
  EmbeddingUnavailableError,
  InvalidMigrationError,
} from '@lanes/contracts';
export { registerSchedules, SCHEDULER_IDS, type ScheduleOptions } from './tasks/schedules.ts';
export { SearchService, InvalidQueryError, normaliseQuery, type SearchOptions } from './search/search-service.ts';
export { tokenise, stem, termBag, queryTerms, TOKENISER_VERSION, type TermBag } from './lexical/tokenise.ts';
export { BM25_DEFAULTS, type Bm25Parameters } from './lexical/bm25.ts';
export {
  evaluate,
  parseEvalFile,
  scoreRanking,
  evalCase,
  type EvalCase,
  type EvalMetrics,
  type EvalReport,
  type EvalSearch,
} from './search/evaluation.ts';
export { fuse, FUSION_DEFAULTS, lexicalOnlyDepth, type FusionOptions } from './search/fusion.ts';
export { chunkText, type Chunk, type ChunkOptions } from './chunk/chunker.ts';
export { CHUNKER_VERSION } from './chunk/fingerprint.ts';
export { LOCAL_MODEL, localEmbedding, LocalEmbeddingProvider } from './embed/local-provider.ts';
export { VECTOR_STORAGES, vectorExpression, type VectorStorage } from './store/embedding-spaces.ts';
export { USE_LITE_MODEL, UseLiteEmbeddingProvider } from './embed/use-lite-provider.ts';
export { Embedder, type EmbedItem, type EmbedOutcome } from './embed/embedder.ts';
export { Database } from './store/database.ts';
export { assertMigrated, migrate, MIGRATIONS, SCHEMA_VERSION, SchemaNotMigratedError } from './store/migrations.ts';
export { DocumentStore } from './store/documents.ts';
export { rebuildHnswIndex } from './store/index-builder.ts';
export { candidateRules, CANDIDATE_POSTINGS, type CandidateRule } from './store/lexical-search.ts';
/** The cl100k_base token counter the pipeline budgets and batches with. */
export { countTokens } from 'gpt-tokenizer/encoding/cl100k_base';
export {
  createDocumentExtractor,
  describeFile,
  describeText,
  extractDocument,
  type DocumentExtractor,
  type DocumentInput,
  type ExtractionLimits,
} from './extract/extract-document.ts';
export {
  DocumentCatalog,
  type DeleteOutcome,
  type DeletedDocument,
  type DocumentListFilter,
  type StoredDocument,
  type TenantCorpus,
} from './store/document-catalog.ts';
export {
  CorpusDocuments,
  type DeleteBySourceOutcome,
  type DocumentState,
  type DocumentView,
  type LastIngestJob,
} from './corpus/documents.ts';
export { EmbeddingUsage, type DailyUsage } from './embed/usage.ts';
export { EMBEDDING_METRIC_NAMES } from './embed/metrics.ts';
