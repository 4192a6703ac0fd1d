import type { DocumentStore, StoredChunk } from '../store/documents.ts';
import type { SpaceHandle } from './live-spaces.ts';

/**
 * Embeds the chunks whose text has no vector in the space yet, with that space's own model
 * only (no fail-over: a fallback model's vectors belong elsewhere), and stores them. Idempotent,
 * so a retried or resumed batch redoes nothing. Returns how many texts it embedded.
 */
export async function embedInto(
  target: SpaceHandle,
  chunks: readonly StoredChunk[],
  documents: Pick<DocumentStore, 'existingVectors' | 'writeVectors'>,
  signal?: AbortSignal,
): Promise<number> {
  const distinct = new Map(chunks.map((chunk) => [chunk.hash, chunk]));
  const stored = await documents.existingVectors(target.space, [...distinct.keys()]);
  const todo = [...distinct.values()].filter((chunk) => !stored.has(chunk.hash));
  if (todo.length === 0) return 0;
  const vectors = await target.embedder.embedWith(
    target.provider,
    todo.map((chunk) => ({ hash: chunk.hash, text: chunk.text, tokens: chunk.tokens })),
    signal,
  );
  await documents.writeVectors(target.space, [...vectors]);
  return vectors.size;
}
