import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PDFParse } from 'pdf-parse';
import type { ingest, IngestResult, PayloadOf } from '@lanes/contracts';
import {
  dropRagState,
  FIXTURES,
  ingestAndWait,
  ragTestEnv,
  type RagWorker,
  sql,
  startRagWorker,
  type TestEnv,
} from './helpers.ts';

const PDF = join(FIXTURES, 'pdf', 'libtasn1-manual.pdf');

describe('page provenance and filters', () => {
  let env: TestEnv;
  let w: RagWorker;

  before(async () => {
    env = ragTestEnv('provenance');
    w = await startRagWorker(env);
  });

  after(async () => {
    await w?.close();
    await dropRagState(env);
  });

  const run = (payload: PayloadOf<typeof ingest>): Promise<IngestResult> => ingestAndWait(w, payload);

  test('every chunk of a PDF knows its first and last page, and hits carry the first', async () => {
    const result = await run({ path: PDF });
    const chunks = await sql<{ chunk_index: number; text: string; page_start: number; page_end: number }>(
      env,
      'SELECT chunk_index, text, page_start, page_end FROM $schema.chunks WHERE live ORDER BY chunk_index',
    );
    assert.equal(chunks.length, result.chunks);
    let previous = 1;
    for (const chunk of chunks) {
      assert.ok(
        chunk.page_start >= previous && chunk.page_start <= chunk.page_end && chunk.page_end <= result.pages,
        `chunk ${chunk.chunk_index}: ${chunk.page_start}-${chunk.page_end}`,
      );
      previous = chunk.page_start;
    }
    // Ground truth from pdf-parse itself: a line from the middle of each page lies in a chunk whose pages include that page.
    const parser = new PDFParse({ data: new Uint8Array(await readFile(PDF)) });
    const pages = (await parser.getText()).pages;
    await parser.destroy();
    const linesOf = (text: string): string[] =>
      text
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line.length > 30);
    const squash = (text: string): string => text.replace(/\s+/g, '');
    const whole = squash(pages.map((page) => page.text).join(''));
    const once = (line: string): boolean => whole.indexOf(squash(line)) === whole.lastIndexOf(squash(line));
    let checked = 0;
    for (const [index, page] of pages.entries()) {
      // A line whose words occur once in the whole PDF (tables of contents and similar functions repeat text).
      const lines = linesOf(page.text).filter(once);
      const line = lines[Math.floor(lines.length / 2)];
      if (line === undefined) continue;
      const holding = chunks.filter((chunk) => squash(chunk.text).includes(squash(line)));
      if (holding.length === 0) continue;
      checked++;
      for (const chunk of holding)
        assert.ok(
          chunk.page_start <= index + 1 && index + 1 <= chunk.page_end,
          `page ${index + 1} line in chunk ${chunk.chunk_index} (${chunk.page_start}-${chunk.page_end})`,
        );
    }
    assert.ok(checked >= pages.length / 2, `checked ${checked} of ${pages.length} pages`);
    for (const mode of ['hybrid', 'vector', 'lexical'] as const) {
      const hit = (await w.rag.search('asn1_read_value', 1, { mode, record: false })).results[0]!;
      const stored = chunks.find((chunk) => chunk.chunk_index === hit.chunkIndex)!;
      assert.equal(hit.page, stored.page_start, mode);
    }
    await run({ text: 'Plain text has no pages.', source: 'plain.txt' });
    assert.equal(
      (await w.rag.search('plain text has no pages', 1, { mode: 'lexical', record: false })).results[0]!.page,
      null,
    );
  });

  test('chunks of a markdown document know their section heading, and hits carry it in every mode', async () => {
    const long = Array.from({ length: 80 }, (_, i) => `Sentence ${i} about the flux capacitor calibration.`).join(' ');
    const text = `Intro text before any heading, about nothing.\n\n# Guide\n\n## Installing the widget ##\n\nRun the installer and answer its questions about quuxification.\n\nCalibration\n===========\n\n${long}\n\n### \n\nEmpty heading above keeps the section.`;
    await run({ text, source: 'guide.md' });
    const chunks = await sql<{ heading: string | null; text: string }>(
      env,
      "SELECT c.heading, c.text FROM $schema.chunks c JOIN $schema.documents d ON d.id = c.document_id WHERE d.source = 'guide.md' AND c.live ORDER BY c.chunk_index",
    );
    assert.equal(chunks[0]!.heading, null, 'text before the first heading has none');
    const install = chunks.find((chunk) => chunk.text.includes('quuxification'))!;
    assert.equal(install.heading, 'Installing the widget', 'the last heading before the body, without its # marks');
    const calibration = chunks.filter((chunk) => chunk.text.includes('flux capacitor'));
    assert.ok(calibration.length >= 2, 'the long section is cut into several chunks');
    assert.ok(
      calibration.every((chunk) => chunk.heading === 'Calibration'),
      'every piece of a long section keeps its heading (setext style)',
    );
    assert.equal(chunks.at(-1)!.heading, 'Calibration');
    for (const mode of ['hybrid', 'lexical', 'vector'] as const) {
      const hit = (await w.rag.search('quuxification installer questions', 3, { mode, record: false })).results.find(
        (h) => h.source === 'guide.md' && h.text.includes('quuxification'),
      );
      assert.equal(hit?.heading, 'Installing the widget', mode);
    }
  });

  test('filters on metadata (containment) and source prefix still return k results, vector and lexical', async () => {
    // Many near neighbours of the query in one team's documents, a few far ones in the other's.
    const near = 'Kelp forest otters float on their backs and crack sea urchins on stones.';
    await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        run({
          text: `${near} Note ${i}: otters ${i} urchins.`,
          source: `team-a/otters-${i}.txt`,
          metadata: { team: 'a', lang: 'en' },
        }),
      ),
    );
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        run({
          text: `Glacier ice cores hold ancient air, sample ${i}, otters rarely mentioned.`,
          source: `team-b/ice-${i}.txt`,
          metadata: { team: 'b', lang: 'en', extra: { year: 2020 + (i % 2) } },
        }),
      ),
    );
    for (const mode of ['vector', 'lexical', 'hybrid'] as const) {
      const teamB = await w.rag.search(near, 10, { mode, record: false, filter: { metadata: { team: 'b' } } });
      assert.equal(teamB.results.length, 10, `${mode}: k results under a selective filter`);
      for (const hit of teamB.results) assert.match(hit.source, /^team-b\//, mode);
      const nested = await w.rag.search(near, 10, {
        mode,
        record: false,
        filter: { metadata: { extra: { year: 2021 } }, sourcePrefix: 'team-b/' },
      });
      assert.equal(nested.results.length, 6, `${mode}: nested containment and prefix`);
      const prefix = await w.rag.search(near, 5, { mode, record: false, filter: { sourcePrefix: 'team-a/otters-1' } });
      assert.ok(
        prefix.results.length === 5 && prefix.results.every((hit) => hit.source.startsWith('team-a/otters-1')),
        mode,
      );
      const none = await w.rag.search(near, 5, { mode, record: false, filter: { metadata: { team: 'c' } } });
      assert.equal(none.results.length, 0, mode);
    }
    // Wildcards in a prefix are literal.
    assert.equal(
      (await w.rag.search(near, 5, { mode: 'lexical', record: false, filter: { sourcePrefix: 'team-%' } })).results
        .length,
      0,
    );
  });
});
