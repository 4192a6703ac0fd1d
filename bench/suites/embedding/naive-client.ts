/**
 * The baseline: what many applications do without a shared budget. Each of `concurrency`
 * callers sends its requests straight away and, on a 429, waits the server's retry-after-ms and
 * tries again (as the OpenAI SDK does), up to 10 attempts.
 */
export async function naiveEmbedding(
  baseUrl: string,
  requests: number,
  batchSize: number,
  concurrency: number,
): Promise<{ failed: number }> {
  let next = 0;
  let failed = 0;
  const send = async (i: number): Promise<void> => {
    const input = Array.from({ length: batchSize }, (_, j) => `naive client text ${i} ${j}`);
    for (let attempt = 1; attempt <= 10; attempt++) {
      const response = await fetch(`${baseUrl}/embeddings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer sk-bench' },
        body: JSON.stringify({ model: 'text-embedding-3-small', input, dimensions: 256 }),
      });
      await response.arrayBuffer();
      if (response.status === 200) return;
      if (response.status !== 429) break;
      const wait = Number(response.headers.get('retry-after-ms') ?? 1000);
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, wait)));
    }
    failed += 1;
  };
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < requests) await send(next++);
    }),
  );
  return { failed };
}
