// The composition root alone, as the CLI loads it: none of the text-processing exports of the
// package's main entry, so a worker loads the tokenizer, the embedding SDK and the models only
// when it first chunks or embeds.
export { createRagReader, createRagRuntime, type RagOptions, type RagReader, type RagRuntime } from './composition.ts';
export { assertAllowedPath } from './paths.ts';
export { evaluate, parseEvalFile } from './search/evaluation.ts';
export type { CorpusDocuments } from './corpus/documents.ts';
export type { EmbeddingUsage } from './embed/usage.ts';
