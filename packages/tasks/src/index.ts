export { loadRagConfig, LOCAL_MODEL, DEFAULT_DATABASE_URL, type RagConfig, type EmbeddingConfig } from './config.ts';
export { createRagRuntime, createSearchService, type RagRuntime, type RagRuntimeOptions, type ReadinessCheck, type SearchServiceHandle } from './runtime.ts';
export { createRagServices, type RagServices } from './services.ts';
export { assertAllowedPath } from './paths.ts';
export { DocumentRejectedError, PathNotAllowedError, EmbeddingRejectedError, EmbeddingUnavailableError } from './errors.ts';
export { registerSchedules, SCHEDULER_IDS, type ScheduleOptions } from './tasks/schedules.ts';
export { SearchService, InvalidQueryError, normaliseQuery, type SearchOptions } from './search/search-service.ts';
export { tokenise, stem, termBag, queryTerms, TOKENISER_VERSION, type TermBag } from './lexical/tokenise.ts';
export { BM25_DEFAULTS, type Bm25Parameters } from './lexical/bm25.ts';
export { evaluate, parseEvalFile, scoreRanking, evalCase, type EvalCase, type EvalMetrics, type EvalReport, type EvalSearch } from './search/evaluation.ts';
export { fuse, FUSION_DEFAULTS, type FusionOptions } from './search/fusion.ts';
export { chunkText, CHUNKER_VERSION, type Chunk, type ChunkOptions } from './chunk/chunker.ts';
export { localEmbedding, LocalEmbeddingProvider } from './embed/local-provider.ts';
export { Embedder, type EmbedItem, type EmbedOutcome } from './embed/embedder.ts';
export { Database } from './store/database.ts';
export { migrate, MIGRATIONS } from './store/migrations.ts';
/** The cl100k_base token counter the pipeline budgets and batches with. */
export { countTokens } from 'gpt-tokenizer/encoding/cl100k_base';
export { createDocumentExtractor, describeFile, describeText, extractDocument, type DocumentExtractor, type DocumentInput, type ExtractionLimits } from './extract/extract-document.ts';
