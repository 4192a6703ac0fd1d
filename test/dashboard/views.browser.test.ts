// The overview, corpus and search views as a person sees them, in Debian's Chromium driven by
// playwright-core, over a real worker with the built-in tasks, PostgreSQL and Redis: the charts
// are drawn with data, a search in the playground marks the query's words, and a document is
// deleted from the corpus view; a running ingest's bar follows its job. The run writes screenshots (LANES_SCREENSHOTS_DIR, default a
// temporary folder); the current ones are committed under docs/.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, SCREENSHOTS_DIR, SKIP_WITHOUT_CHROMIUM } from './chromium.ts';
import { Worker } from 'bullmq';
import { createBlockingConnection } from '@lanes/queue';
import { ingest, type IngestResult, definedOnly } from '@lanes/contracts';
import { createLogger } from '@lanes/worker-core';
import { sampleBacklog, startDashboard, type RunningDashboard } from '@lanes/dashboard';
import { dropRagState, FIXTURES, ragTestEnv, startRagWorker, type RagWorker, type TestEnv } from '../rag/helpers.ts';
import { REDIS_URL, REPO_ROOT } from '../support/env.ts';
import { startTestDashboard } from './harness.ts';

const DOCUMENTS = [
  join(REPO_ROOT, 'samples', 'lanes-architecture.md'),
  join(REPO_ROOT, 'samples', 'operations-runbook.md'),
  join(REPO_ROOT, 'samples', 'embedding-costs.txt'),
  join(REPO_ROOT, 'samples', 'shared-mime-info-spec.pdf'),
  join(FIXTURES, 'docs', 'hnsw-indexes.md'),
  join(FIXTURES, 'docs', 'redis-persistence.md'),
  join(FIXTURES, 'docs', 'sourdough.txt'),
  join(FIXTURES, 'docs', 'tide-pools.txt'),
  join(FIXTURES, 'pdf', 'libtasn1-manual.pdf'),
];

/** Canvas pixels close to a colour: what uPlot drew in that series' stroke. */
async function pixelsOfColour(page: Page, selector: string, rgb: readonly [number, number, number]): Promise<number> {
  return page.locator(selector).evaluate((el, [r, g, b]) => {
    const canvas = el.querySelector('canvas');
    if (canvas === null) return 0;
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4)
      if (
        Math.abs(data[i]! - r) < 40 &&
        Math.abs(data[i + 1]! - g) < 40 &&
        Math.abs(data[i + 2]! - b) < 40 &&
        data[i + 3]! > 128
      )
        n++;
    return n;
  }, rgb);
}

describe('dashboard views in a headless browser', {
  skip: SKIP_WITHOUT_CHROMIUM,
}, () => {
  let env: TestEnv;
  let w: RagWorker;
  let dashboard: RunningDashboard;
  let browser: Browser;
  let page: Page;

  before(async () => {
    mkdirSync(SCREENSHOTS_DIR, { recursive: true });
    env = ragTestEnv('views');
    w = await startRagWorker(env);
    const client = w.worker.client;
    // Backlog history: the dashboard's own sampler, run for the last minutes while delayed work piles up.
    const now = Date.now();
    for (let minute = 5; minute >= 1; minute--) {
      await client.enqueue(
        ingest,
        { text: `scheduled note ${minute}`, source: `notes/later-${minute}.md` },
        { lane: 'low', delayMs: 3600_000 },
      );
      await sampleBacklog(client, now - minute * 60_000);
    }
    const results = await Promise.all(
      DOCUMENTS.map(
        async (path) => (await client.enqueue(ingest, { path })).wait({ timeoutMs: 60_000 }) as Promise<IngestResult>,
      ),
    );
    assert.ok(results.every((result) => result.chunks > 0));
    // One failure, so the failures series has something to draw.
    await (await client.enqueue(ingest, { path: join(REPO_ROOT, 'package.json') }))
      .wait({ timeoutMs: 30_000 })
      .catch(() => undefined);

    dashboard = await startDashboard({
      client,
      port: 0,
      host: '127.0.0.1',
      logger: createLogger('silent'),
      metrics: w.metrics,
      documents: w.reader.documents,
      usage: w.reader.usage,
      embeddingMigration: w.reader.migrations,
      search: ({ query, k, mode, filter }) => w.rag.search(query, k, { mode, ...definedOnly({ filter }) }),
    });
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 1000 } })).newPage();
    page.on('dialog', (dialog) => void dialog.accept());
  });

  after(async () => {
    await browser?.close();
    await dashboard?.close();
    await w?.close();
    if (env !== undefined) await dropRagState(env);
  });

  test('the overview draws backlog, throughput and embedding charts with data', async () => {
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => void (message.type() === 'error' && errors.push(message.text())));
    const response = await page.goto(`${dashboard.url}/`);
    assert.equal(response?.status(), 200);
    for (const id of ['chart-backlog', 'chart-throughput', 'chart-embeddings']) {
      await page.locator(`#${id} canvas`).waitFor({ timeout: 10_000 });
      await page.waitForFunction((el) => Number(el!.dataset.total) > 0, await page.$(`#${id}`), { timeout: 10_000 });
    }
    // Strokes in the lanes' colours: low's backlog (green), default's completions (blue), the embedding bars (blue).
    assert.ok((await pixelsOfColour(page, '#chart-backlog', [6, 118, 71])) > 50, 'the low lane backlog line is drawn');
    assert.ok(
      (await pixelsOfColour(page, '#chart-throughput', [53, 88, 214])) > 20,
      "the default lane's completions are drawn",
    );
    assert.ok((await pixelsOfColour(page, '#chart-embeddings', [53, 88, 214])) > 50, 'the tokens bar is drawn');
    assert.match(await page.locator('#series-note').innerText(), /BullMQ's per-minute metrics/);
    // The embedding space panel: the configured model is live, no migration yet.
    await page.locator('#m-live', { hasText: 'local/local-hash-v1/384' }).waitFor({ timeout: 10_000 });
    assert.match(await page.locator('#m-latest').innerText(), /none/);
    assert.deepEqual(errors, [], 'no script errors (CSP blocks nothing the page needs)');
    await page.locator('#overview').scrollIntoViewIfNeeded();
    await page.screenshot({
      path: join(SCREENSHOTS_DIR, 'dashboard-overview.png'),
      clip: { x: 0, y: 0, width: 1280, height: 1000 },
    });
  });

  test('the corpus view lists the documents with their state and last job', async () => {
    await page
      .locator('#documents tbody tr')
      .nth(DOCUMENTS.length - 1)
      .waitFor({ timeout: 10_000 });
    const rows = await page.locator('#documents tbody tr').allInnerTexts();
    assert.equal(rows.length, DOCUMENTS.length);
    const pdf = rows.find((row) => row.includes('libtasn1-manual.pdf'))!;
    assert.match(pdf, /ready\t36\t\d+/);
    assert.match(pdf, /completed/);
    await page.locator('#corpus').screenshot({ path: join(SCREENSHOTS_DIR, 'dashboard-corpus.png') });
  });

  test('a search in the playground shows the source, page, score parts and marks the query words', async () => {
    await page.fill('#search-form input[name="q"]', 'sourdough starter feeding');
    await page.selectOption('#search-form select[name="mode"]', 'vector');
    await page.click('#search-form button[type="submit"]');
    await page.locator('#hits .hit').first().waitFor({ timeout: 10_000 });
    const first = await page.locator('#hits .hit').first().innerText();
    assert.match(first, /^1\. .*sourdough\.txt/);
    assert.match(first, /score \d\.\d{4}/);
    const marked = (await page.locator('#hits .hit').first().locator('mark').allInnerTexts()).map((text) =>
      text.toLowerCase(),
    );
    assert.ok(marked.includes('sourdough') || marked.includes('starter'), `marked: ${marked.join(', ')}`);
    assert.match(await page.locator('#search-status').innerText(), /result\(s\) in \d+ ms, mode vector/);

    await page.fill('#search-form input[name="q"]', 'DER encoding of ASN.1 structures');
    await page.selectOption('#search-form select[name="mode"]', 'hybrid');
    await page.fill('#search-form input[name="k"]', '3');
    await page.click('#search-form button[type="submit"]');
    await page.locator('#search-status', { hasText: 'mode hybrid' }).waitFor({ timeout: 10_000 });
    assert.match(await page.locator('#hits .hit').first().innerText(), /libtasn1-manual\.pdf/);
    const words = (await page.locator('#hits mark').allInnerTexts()).map((text) => text.toLowerCase());
    assert.ok(
      words.length > 0 && words.every((word) => ['der', 'encoding', 'of', 'asn', 'structures'].includes(word)),
      `whole query words only: ${[...new Set(words)].join(', ')}`,
    );
    await page.locator('#search').screenshot({ path: join(SCREENSHOTS_DIR, 'dashboard-search.png') });
  });

  test('deleting a document from the corpus view removes it, and search no longer finds it', async () => {
    const row = page.locator('#documents tbody tr', { hasText: 'sourdough.txt' });
    await row.getByRole('button', { name: 'Delete' }).click();
    await row.waitFor({ state: 'detached', timeout: 10_000 });
    assert.match(await page.locator('#corpus-note').innerText(), /Deleted .*sourdough\.txt/);
    const listed = (await (await fetch(`${dashboard.url}/api/documents`)).json()) as {
      documents: Array<{ source: string }>;
    };
    assert.equal(listed.documents.length, DOCUMENTS.length - 1);
    assert.ok(listed.documents.every((doc) => !doc.source.endsWith('sourdough.txt')));
    const search = await w.rag.search('sourdough starter feeding', 5);
    assert.ok(search.results.every((hit) => !hit.source.endsWith('sourdough.txt')));
  });
});

describe('running ingests refresh in the browser without reloading', {
  skip: SKIP_WITHOUT_CHROMIUM,
}, () => {
  test('an active ingest shows a progress bar that follows the job', { timeout: 60_000 }, async () => {
    const d = await startTestDashboard('ingests');
    const connection = createBlockingConnection(REDIS_URL);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let reportProgress!: (value: object) => Promise<void>;
    const started = new Promise<void>((resolve) => {
      // A stand-in for the ingest task's handler: it reports progress the way ingest does, then waits.
      const worker = new Worker(
        'default',
        async (job) => {
          reportProgress = (value) => job.updateProgress(value);
          await job.updateProgress({
            stage: 'embedding',
            pagesParsed: 120,
            pagesTotal: 120,
            chunksTotal: 40,
            chunksEmbedded: 0,
          });
          resolve();
          await released;
          return { ok: true };
        },
        { connection, prefix: d.client.prefix },
      );
      void released.then(() => setTimeout(() => void worker.close(), 100));
    });
    const browser = await launchChromium();
    try {
      await d.client.enqueue(ingest, { text: 'a long manual', source: 'manuals/big-manual.pdf' });
      await started;
      const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
      await page.goto(`${d.url}/`);
      const row = page.locator('#ingests tbody tr', { hasText: 'manuals/big-manual.pdf' });
      await row.waitFor({ timeout: 10_000 });
      assert.match(await row.innerText(), /embedding pages 120\/120 chunks 0\/40/);
      const width = () =>
        row.locator('.bar > div').evaluate((el) => (el as unknown as { style: { width: string } }).style.width);
      assert.equal(await width(), '30%');
      await reportProgress({
        stage: 'embedding',
        pagesParsed: 120,
        pagesTotal: 120,
        chunksTotal: 40,
        chunksEmbedded: 20,
      });
      await row.locator('text=chunks 20/40').waitFor({ timeout: 10_000 });
      assert.equal(await width(), '65%');
      release();
      await row.waitFor({ state: 'detached', timeout: 10_000 });
    } finally {
      release();
      await browser.close();
      connection.disconnect();
      await d.stop();
    }
  });
});
