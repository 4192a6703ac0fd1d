import type { LocalModel } from './local-models.ts';
import type { EmbedBatchResult, EmbeddingProvider, ProviderLimits } from './provider.ts';

/** The offline provider's name (EMBEDDING_PROVIDER). */
export const LOCAL_PROVIDER = 'local';

/** The hashing model's name; bump the suffix whenever its algorithm changes (new space). */
export const LOCAL_MODEL = 'local-hash-v1';

/** English function words carry no topic; dropping them makes similar texts closer. */
const STOPWORDS = new Set(
  (
    'a an and are as at be been but by can could did do does for from had has have he her his how i if in into is it its ' +
    'me my no not of on or our she so than that the their them then there these they this those to was we were what when ' +
    'where which while who whom why will with would you your'
  ).split(' '),
);

/** 32-bit FNV-1a: fast, deterministic across platforms and releases. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Crude suffix stripping so "indexes", "indexing" and "index" share a feature. */
function stem(word: string): string {
  if (word.length > 5 && word.endsWith('ing')) return word.slice(0, -3);
  if (word.length > 4 && word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.length > 4 && word.endsWith('es')) return word.slice(0, -2);
  if (word.length > 4 && word.endsWith('ed')) return word.slice(0, -2);
  if (word.length > 3 && word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

function words(text: string): string[] {
  const found =
    text
      .toLowerCase()
      .normalize('NFKC')
      .match(/[\p{L}\p{N}]+/gu) ?? [];
  return found.filter((word) => !STOPWORDS.has(word));
}

/**
 * Feature hashing of stemmed words (weight 1), word bigrams (0.5) and character trigrams
 * (0.25, for spelling variants and compounds) into `dimensions` signed buckets, with
 * sub-linear term frequency, L2-normalised. Deterministic, offline and about as good as
 * TF-IDF for "which document talks about this": enough for the pipeline to be useful without
 * an API key, and for tests to assert ranking.
 */
export function localEmbedding(text: string, dimensions: number): Float32Array {
  const features = new Map<string, number>();
  const add = (feature: string, weight: number): void => {
    features.set(feature, (features.get(feature) ?? 0) + weight);
  };
  const tokens = words(text).map(stem);
  for (let i = 0; i < tokens.length; i++) {
    const word = tokens[i]!;
    add(`w:${word}`, 1);
    if (i + 1 < tokens.length) add(`b:${word} ${tokens[i + 1]}`, 0.5);
    const padded = `^${word}$`;
    for (let j = 0; j + 3 <= padded.length; j++) add(`t:${padded.slice(j, j + 3)}`, 0.25);
  }
  const vector = new Float32Array(dimensions);
  for (const [feature, weight] of features) {
    const hash = fnv1a(feature);
    const sign = (fnv1a(`s${feature}`) & 1) === 0 ? 1 : -1;
    // Sub-linear term frequency: a word said ten times is not ten times as relevant.
    vector[hash % dimensions]! += sign * (weight <= 1 ? weight : 1 + Math.log(weight));
  }
  let norm = 0;
  for (const value of vector) norm += value * value;
  if (norm === 0) {
    // No words at all (punctuation only): a fixed unit vector keeps cosine distance defined.
    vector[0] = 1;
    return vector;
  }
  const scale = 1 / Math.sqrt(norm);
  for (let i = 0; i < dimensions; i++) vector[i]! *= scale;
  return vector;
}

export class LocalEmbeddingProvider implements EmbeddingProvider {
  readonly provider = LOCAL_PROVIDER;
  readonly model = LOCAL_MODEL;
  // About 0.1 ms a text: cheaper than the Redis round trips of the cache and single-flight locks.
  readonly cheaperThanCache = true;
  readonly dimensions: number;
  // Same limits as OpenAI so batching code paths behave identically in tests.
  readonly limits: ProviderLimits = { maxInputs: 2048, maxTokensPerRequest: 300_000, maxTokensPerInput: 8192 };

  constructor(dimensions: number) {
    this.dimensions = dimensions;
  }

  async embedBatch(
    inputs: readonly string[],
    tokenCounts: readonly number[],
    signal: AbortSignal | undefined,
  ): Promise<EmbedBatchResult> {
    signal?.throwIfAborted();
    const vectors = inputs.map((input) => localEmbedding(input, this.dimensions));
    return { vectors, tokens: tokenCounts.reduce((sum, count) => sum + count, 0) };
  }
}

export const hashingModel: LocalModel = {
  name: LOCAL_MODEL,
  defaultDimensions: 384,
  fixedDimensions: false,
  create: ({ dimensions }) => new LocalEmbeddingProvider(dimensions),
};
