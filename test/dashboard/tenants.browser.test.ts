// The dashboard's tenants view as a person sees it, in Debian's Chromium driven by
// playwright-core, over a real worker with the built-in tasks, PostgreSQL and Redis: per tenant,
// its documents and chunks, the jobs held back for its turn in each lane (fair share), and the
// attempts workers finished for it; `GET /api/tenants` answers the same. Writes
// dashboard-tenants.png to LANES_SCREENSHOTS_DIR (default a temporary folder).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser } from 'playwright-core';
import { launchChromium, SCREENSHOTS_DIR, SKIP_WITHOUT_CHROMIUM } from './chromium.ts';
import { Redis } from 'ioredis';
import { setTenantWindow } from '@lanes/queue';
import { ingest } from '@lanes/contracts';
import { createLogger } from '@lanes/worker-core';
import { startDashboard, type RunningDashboard, type TenantsView } from '@lanes/dashboard';
import {
  dropRagState,
  ingestAndWait,
  ragTestEnv,
  startRagWorker,
  type RagWorker,
  type TestEnv,
} from '../rag/helpers.ts';
import { REDIS_URL } from '../support/env.ts';

describe('the tenants view in a headless browser', {
  skip: SKIP_WITHOUT_CHROMIUM,
}, () => {
  let env: TestEnv;
  let w: RagWorker;
  let dashboard: RunningDashboard;
  let browser: Browser;

  before(async () => {
    mkdirSync(SCREENSHOTS_DIR, { recursive: true });
    env = ragTestEnv('tenants-view');
    // No worker serves the low lane: the jobs held there stay held for the view to show.
    w = await startRagWorker(env, { lanes: ['critical', 'default'] });
    const client = w.worker.client;
    for (const n of [1, 2])
      await (
        await client.enqueue(
          ingest,
          { text: `Acme memo ${n} about the zeppelin hangar.`, source: `memo-${n}` },
          { tenant: 'acme' },
        )
      ).wait({ timeoutMs: 60_000 });
    await (
      await client.enqueue(
        ingest,
        { text: 'Globex notes on the quokka enclosure.', source: 'notes' },
        { tenant: 'globex' },
      )
    ).wait({ timeoutMs: 60_000 });
    await ingestAndWait(w, { text: 'A shared note of no tenant.', source: 'shared' });
    // A congested low lane (window 1): globex's first job goes to the lane, the next two are held.
    const redis = new Redis(REDIS_URL);
    await setTenantWindow(redis, client.prefix, 1);
    redis.disconnect();
    await client.enqueueBulk(
      ingest,
      [1, 2, 3].map((n) => ({
        payload: { text: `later ${n}`, source: `later-${n}` },
        options: { tenant: 'globex', lane: 'low' as const },
      })),
    );
    dashboard = await startDashboard({
      client,
      port: 0,
      host: '127.0.0.1',
      logger: createLogger('silent'),
      documents: w.reader.documents,
    });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await dashboard?.close();
    await w?.close();
    if (env !== undefined) await dropRagState(env);
  });

  test('GET /api/tenants: documents, chunks, held jobs per lane and finished attempts per tenant', async () => {
    let view: TenantsView | undefined;
    // Workers add their counts to Redis once a second.
    for (let tries = 0; tries < 50; tries++) {
      view = (await (await fetch(`${dashboard.url}/api/tenants`)).json()) as TenantsView;
      if ((view.tenants.find((row) => row.tenant === 'acme')?.jobs.completed ?? 0) >= 2) break;
      await sleep(200);
    }
    const row = (tenant: string | null) => view!.tenants.find((entry) => entry.tenant === tenant);
    assert.equal(view!.corpus, true);
    assert.deepEqual(
      {
        documents: row('acme')?.documents,
        completed: row('acme')?.jobs.completed,
        failed: row('acme')?.jobs.failed,
        held: row('acme')?.held,
      },
      { documents: 2, completed: 2, failed: 0, held: { critical: 0, default: 0, low: 0 } },
    );
    assert.ok(row('acme')!.chunks >= 2);
    assert.deepEqual(
      { documents: row('globex')?.documents, held: row('globex')?.held },
      { documents: 1, held: { critical: 0, default: 0, low: 2 } },
    );
    assert.equal(row('globex')?.jobs.completed, 1);
    assert.equal(row(null)?.documents, 1, 'documents of no tenant are a row of their own');
    assert.equal(view!.tenants[0]?.tenant, 'globex', 'tenants with held jobs first');
  });

  test('the page shows the same per tenant', async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${dashboard.url}/`);
    const acme = page.locator('#tenant-rows tbody tr[data-tenant="acme"]');
    await acme.waitFor({ timeout: 10_000 });
    const cells = async (locator: typeof acme): Promise<string[]> =>
      (await locator.locator('td').allInnerTexts()).map((text) => text.trim());
    // Tenant, documents, chunks, held critical/default/low, completed, failed.
    const acmeCells = await cells(acme);
    assert.deepEqual([acmeCells[0], acmeCells[1], ...acmeCells.slice(3)], ['acme', '2', '0', '0', '0', '2', '0']);
    const globexCells = await cells(page.locator('#tenant-rows tbody tr[data-tenant="globex"]'));
    assert.deepEqual([globexCells[0], globexCells[1], globexCells[5], globexCells[6]], ['globex', '1', '2', '1']);
    assert.equal((await cells(page.locator('#tenant-rows tbody tr[data-tenant=""]')))[0], '(no tenant)');
    assert.match(await page.locator('#tenants-note').innerText(), /2 tenant\(s\)/);
    assert.deepEqual(errors, []);
    await page.locator('#tenants').screenshot({ path: join(SCREENSHOTS_DIR, 'dashboard-tenants.png') });
  });
});
