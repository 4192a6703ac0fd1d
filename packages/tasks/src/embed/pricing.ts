/**
 * USD per million input tokens (OpenAI's published embedding prices). Unknown models count
 * as free rather than guessing; the token counter still shows their volume.
 */
const USD_PER_MILLION_TOKENS: Readonly<Record<string, number>> = {
  'text-embedding-3-small': 0.02,
  'text-embedding-3-large': 0.13,
  'text-embedding-ada-002': 0.1,
};

export function estimateCostUsd(provider: string, model: string, tokens: number): number {
  if (provider === 'local') return 0;
  return ((USD_PER_MILLION_TOKENS[model] ?? 0) * tokens) / 1_000_000;
}
