import type { ProviderLimits } from './provider.ts';

export interface SizedInput {
  readonly tokens: number;
}

/**
 * Greedy batches in input order, each within the provider's limits: at most `maxInputs`
 * inputs (and our own smaller `batchSize`), at most `maxTokensPerRequest` tokens. Inputs must
 * already be at most `maxTokensPerInput` tokens (the embedder truncates longer ones).
 */
export function planBatches<T extends SizedInput>(
  items: readonly T[],
  limits: ProviderLimits,
  batchSize: number,
): T[][] {
  const maxInputs = Math.min(limits.maxInputs, batchSize);
  const batches: T[][] = [];
  let current: T[] = [];
  let tokens = 0;
  for (const item of items) {
    if (item.tokens > limits.maxTokensPerInput)
      throw new RangeError(`input of ${item.tokens} tokens exceeds the per-input limit ${limits.maxTokensPerInput}`);
    if (current.length > 0 && (current.length >= maxInputs || tokens + item.tokens > limits.maxTokensPerRequest)) {
      batches.push(current);
      current = [];
      tokens = 0;
    }
    current.push(item);
    tokens += item.tokens;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
