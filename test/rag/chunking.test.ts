import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { chunkText, countTokens, localEmbedding } from '@lanes/tasks';

const options = { maxTokens: 80, overlapTokens: 16 };

function cosine(a: Float32Array, b: Float32Array): number {
  return a.reduce((sum, value, i) => sum + value * b[i]!, 0);
}

describe('chunking', () => {
  test('a heading always starts a new chunk, and stays with the text below it', () => {
    const text = '# Guide\n\nIntro text.\n\n## Install\n\nRun the installer.\n\n## Configure\n\nEdit the file.';
    const chunks = chunkText(text, options);
    assert.deepEqual(
      chunks.map((chunk) => chunk.text),
      ['# Guide\n\nIntro text.', '## Install\n\nRun the installer.', '## Configure\n\nEdit the file.'],
    );
    assert.deepEqual(
      chunks.map((chunk) => chunk.index),
      [0, 1, 2],
    );
  });

  test('long sections split at sentence ends within the token bound, with overlap', () => {
    const sentences = Array.from({ length: 60 }, (_, i) => `Sentence number ${i} talks about vector indexes.`);
    const chunks = chunkText(`## Long\n\n${sentences.join(' ')}`, options);
    assert.ok(chunks.length > 3);
    for (const chunk of chunks) {
      assert.ok(chunk.tokens <= options.maxTokens + 2, `chunk of ${chunk.tokens} tokens`);
      const exact = countTokens(chunk.text);
      assert.ok(
        Math.abs(chunk.tokens - exact) <= Math.max(2, exact * 0.05),
        `estimate ${chunk.tokens} vs exact ${exact}`,
      );
      assert.match(chunk.text, /\.$/, 'ends at a sentence end');
    }
    // The first sentence of each later chunk repeats the end of the previous chunk.
    for (let i = 1; i < chunks.length; i++) {
      const firstSentence = chunks[i]!.text.split('. ')[0]!;
      assert.ok(chunks[i - 1]!.text.includes(firstSentence), `chunk ${i} overlaps chunk ${i - 1}`);
    }
  });

  test('code fences are kept whole, blank lines included', () => {
    const text = 'Before.\n\n```js\nconst a = 1;\n\nconst b = 2;\n```\n\nAfter.';
    const chunks = chunkText(text, { maxTokens: 400, overlapTokens: 16 });
    assert.equal(chunks.length, 1);
    assert.ok(chunks[0]!.text.includes('const a = 1;\n\nconst b = 2;'));
  });

  test('a paragraph without punctuation longer than the bound is cut by tokens', () => {
    const chunks = chunkText('word '.repeat(1000), options);
    assert.ok(chunks.length >= 12);
    for (const chunk of chunks) assert.ok(chunk.tokens <= options.maxTokens + 2);
  });

  test('a 1 MiB run without whitespace (a base64 blob) is chunked at once, without indexing the blob', () => {
    const blob = Buffer.alloc(768 << 10, 7).toString('base64');
    const started = performance.now();
    const chunks = chunkText(
      `# An embedded image\n\n![img](data:image/png;base64,${blob})\n\nCaption after the image.`,
      { maxTokens: 400, overlapTokens: 60 },
    );
    const elapsed = performance.now() - started;
    assert.ok(elapsed < 5000, `took ${elapsed.toFixed(0)} ms`);
    assert.ok(chunks.every((chunk) => chunk.tokens <= 400 + 2));
    const joined = chunks.map((chunk) => chunk.text).join('\n');
    assert.match(joined, /more characters not indexed/, 'the blob itself is not indexed, only its head');
    assert.ok(joined.length < 2000 && joined.includes('Caption after the image.'));
  });

  test('runs of a few hundred characters (long URLs, hashes) are kept whole across slices', () => {
    const url = `https://example.org/${'segment/'.repeat(60)}end`;
    const chunks = chunkText(`See ${url} for details.`, { maxTokens: 400, overlapTokens: 60 });
    assert.equal(chunks.length, 1);
    assert.equal(chunks[0]!.text, `See ${url} for details.`);
  });

  test('hashes are stable across line-ending and trailing-space noise; empty text has no chunks', () => {
    const a = chunkText('# T\n\nSame words here.\n', options);
    const b = chunkText('# T  \r\n\r\n\r\n\r\nSame words here.', options);
    assert.deepEqual(
      a.map((chunk) => chunk.hash),
      b.map((chunk) => chunk.hash),
    );
    assert.deepEqual(chunkText(' \n\n\t ', options), []);
  });

  test('a one-paragraph edit changes only that chunk hash', () => {
    const paragraphs = Array.from({ length: 8 }, (_, i) => `## Part ${i}\n\nThis is paragraph ${i} about topic ${i}.`);
    const before = chunkText(paragraphs.join('\n\n'), options);
    paragraphs[3] = '## Part 3\n\nThis paragraph was rewritten entirely.';
    const after = chunkText(paragraphs.join('\n\n'), options);
    const changed = after.filter((chunk, i) => chunk.hash !== before[i]!.hash);
    assert.equal(changed.length, 1);
    assert.equal(changed[0]!.index, 3);
  });
});

describe('local embeddings', () => {
  test('deterministic, unit length, and similar texts are closer than unrelated ones', () => {
    const query = localEmbedding('how do I tune the HNSW index ef_search', 384);
    assert.deepEqual(query, localEmbedding('how do I tune the HNSW index ef_search', 384));
    assert.ok(Math.abs(cosine(query, query) - 1) < 1e-5);
    const related = localEmbedding('HNSW index parameters: m, ef_construction and ef_search', 384);
    const unrelated = localEmbedding('feed the sourdough starter with flour and water', 384);
    assert.ok(cosine(query, related) > cosine(query, unrelated) + 0.2);
    const blank = localEmbedding('!!!', 384);
    assert.ok(Math.abs(cosine(blank, blank) - 1) < 1e-5, 'no words still gives a unit vector');
  });
});
