// The dashboard as a person sees it: Debian's Chromium, driven by playwright-core, opens Bull
// Board with the token typed as the Basic-auth password, finds the three lanes and a failed
// job's reason, then uses the overview page's job search.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, SKIP_WITHOUT_CHROMIUM } from './chromium.ts';
import { builtinContracts, ContractRegistry, defineContract, z } from '@lanes/contracts';
import { call, postJson, processJobs, startTestDashboard, type TestDashboard } from './harness.ts';

const TOKEN = 'browser-token-5d1e2f';
const REASON = 'disk on fire: cannot read scans/invoice-0042.pdf';
const SCREENSHOT_BOARD = '/tmp/lanes-dashboard-bull-board.png';
const SCREENSHOT_OVERVIEW = '/tmp/lanes-dashboard-overview.png';

const scanInvoice = defineContract()({
  name: 'scan-invoice',
  lane: 'default',
  schema: z.object({ source: z.string(), fail: z.string().optional() }),
  retry: { attempts: 1 },
});

describe('dashboard in a headless browser', {
  skip: SKIP_WITHOUT_CHROMIUM,
}, () => {
  let d: TestDashboard;
  let browser: Browser;
  let page: Page;
  let failedId: string;

  before(async () => {
    d = await startTestDashboard('browser', {
      token: TOKEN,
      contracts: new ContractRegistry([...builtinContracts, scanInvoice]),
    });
    const auth = { authorization: `Bearer ${TOKEN}` };
    const failed = await postJson(
      `${d.url}/api/jobs`,
      { task: 'scan-invoice', data: { source: 'scans/invoice-0042.pdf', fail: REASON } },
      auth,
    );
    assert.equal(failed.status, 202);
    failedId = failed.body.id;
    await postJson(`${d.url}/api/jobs`, { task: 'scan-invoice', data: { source: 'scans/invoice-0043.pdf' } }, auth);
    await processJobs(d.client, 'default', 2);
    await postJson(
      `${d.url}/api/jobs`,
      { task: 'ingest', data: { text: 'queued', source: 'notes/queued.md' }, options: { lane: 'low' } },
      auth,
    );
    assert.equal((await call(`${d.url}/api/jobs/${failedId}`, { headers: auth })).body.state, 'failed');

    browser = await launchChromium();
    const context = await browser.newContext({
      httpCredentials: { username: 'lanes', password: TOKEN },
      viewport: { width: 1280, height: 900 },
    });
    page = await context.newPage();
  });

  after(async () => {
    await browser?.close();
    await d?.stop();
  });

  test('Bull Board shows the three lanes', async () => {
    const response = await page.goto(`${d.url}/admin/queues`);
    assert.equal(response?.status(), 200);
    for (const lane of ['critical', 'default', 'low']) {
      await page
        .getByRole('link', { name: new RegExp(`^${lane}`) })
        .first()
        .waitFor({ timeout: 10_000 });
    }
    const text = await page.locator('body').innerText();
    for (const lane of ['critical', 'default', 'low']) assert.match(text, new RegExp(`\\b${lane}\\b`));
  });

  test("Bull Board shows a failed job's reason", async () => {
    await page.goto(`${d.url}/admin/queues/queue/default?status=failed`);
    await page.getByText(REASON).first().waitFor({ timeout: 10_000 });
    await page.screenshot({ path: SCREENSHOT_BOARD, fullPage: true });
  });

  test('the overview page shows lane depths and finds the failed job by source', async () => {
    await page.goto(`${d.url}/`);
    await page.locator('#lanes tbody tr').nth(2).waitFor({ timeout: 10_000 });
    const lanes = await page.locator('#lanes tbody tr').allInnerTexts();
    assert.deepEqual(
      lanes.map((row) => row.split('\t')[0]),
      ['critical', 'default', 'low'],
    );
    const low = lanes[2]!.split('\t');
    assert.equal(low[4], '1', `low backlog is 1: ${lanes[2]}`);
    assert.equal(await page.locator('#c-failure').innerText(), '50.0 %');

    await page.fill('input[name="source"]', 'invoice-0042');
    await page.selectOption('select[name="state"]', 'failed');
    await page.click('#find button[type="submit"]');
    await page.locator('#jobs tbody tr').first().waitFor({ timeout: 10_000 });
    const row = await page.locator('#jobs tbody tr').first().innerText();
    assert.match(row, new RegExp(failedId));
    assert.match(row, /disk on fire/);
    await page.locator('#jobs tbody tr').first().click();
    await page.locator('#detail').waitFor({ state: 'visible' });
    assert.match(await page.locator('#detail').innerText(), /"failedReason": "disk on fire/);
    await page.screenshot({ path: SCREENSHOT_OVERVIEW, fullPage: true });
  });
});
