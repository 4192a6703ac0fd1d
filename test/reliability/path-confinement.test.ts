// Paths checked where they are read (issue 15, point 5): the allowed-roots check used to run
// only at enqueue, so a folder swapped for a symlink before the job ran (delayMs makes the
// window as long as one likes) got a file from outside indexed and served by search. The
// worker now confines the file to the roots when it opens it; errors do not tell whether a
// file outside the roots exists; over HTTP a path's document cannot be renamed by `source`.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingest, definedOnly } from '@lanes/contracts';
import type { LanesClient } from '@lanes/client';
import { ragTestEnv, type TestEnv } from '../rag/helpers.ts';
import { settle } from './helpers.ts';
import { startRagStack, type RagStack } from './rag-stack.ts';

const SECRET = 'OUTSIDE-SECRET-7f3a words that must never be indexed';

describe('paths confined where the worker opens them', () => {
  let base: string;
  let root: string;
  let outside: string;
  let env: TestEnv;
  let client: LanesClient;
  let apiUrl: string;
  let stack: RagStack | undefined;

  before(async () => {
    base = mkdtempSync(join(tmpdir(), 'lanes-confine-'));
    root = join(base, 'root');
    outside = join(base, 'outside');
    mkdirSync(join(root, 'docs'), { recursive: true });
    mkdirSync(join(outside, 'docs'), { recursive: true });
    writeFileSync(join(root, 'docs', 'note.txt'), 'An ordinary note about tide pools and harbours.\n');
    writeFileSync(join(outside, 'docs', 'note.txt'), `${SECRET}\n`);
    env = ragTestEnv('confine', {
      EMBEDDING_PROVIDER: 'local',
      LANES_ALLOWED_ROOTS: root,
      LANES_DRAIN_TIMEOUT_MS: '3000',
      LOG_LEVEL: 'warn',
    });
    stack = await startRagStack(env, 2);
    ({ client, apiUrl } = stack);
  });

  after(async () => {
    await stack?.close();
    rmSync(base, { recursive: true, force: true });
  });

  const post = async (data: unknown, options?: unknown): Promise<{ status: number; body: Record<string, unknown> }> => {
    const response = await fetch(`${apiUrl}/api/jobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ task: 'ingest', data, ...definedOnly({ options }) }),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };

  test('a folder swapped for a symlink after enqueue is refused when the job runs', { timeout: 60_000 }, async () => {
    const accepted = await post({ path: join(root, 'docs', 'note.txt') }, { delayMs: 2500 });
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    renameSync(join(root, 'docs'), join(root, 'docs-before'));
    symlinkSync(join(outside, 'docs'), join(root, 'docs'));

    const [job] = await settle(client, [String(accepted.body.id)], 30_000, 'the swapped job');
    assert.equal(job!.state, 'failed', `the job ${job!.state}: a file from outside the roots was read`);
    assert.match(job!.failedReason ?? '', /outside the allowed roots/);
    assert.doesNotMatch(job!.failedReason ?? '', /OUTSIDE-SECRET/);
    assert.equal(job!.attemptsMade, 1, 'refused once, not retried');

    const search = await fetch(`${apiUrl}/api/search?q=${encodeURIComponent('OUTSIDE-SECRET-7f3a')}&k=5`);
    const found = (await search.json()) as { results: Array<{ text: string }> };
    assert.ok(
      !found.results.some((hit) => hit.text.includes('OUTSIDE-SECRET')),
      'the outside file is not served by search',
    );
  });

  test('errors do not tell whether a file outside the roots exists, over HTTP and in the worker', {
    timeout: 60_000,
  }, async () => {
    const existing = join(outside, 'docs', 'note.txt');
    const absent = join(outside, 'docs', 'absent.txt');
    const [a, b] = [await post({ path: existing }), await post({ path: absent })];
    assert.equal(a.status, 400);
    assert.equal(b.status, 400);
    assert.equal(String(a.body.error).replace(existing, 'P'), String(b.body.error).replace(absent, 'P'));

    // Jobs written straight into the lane with `confined` set, as the HTTP API sends them.
    const handles = await Promise.all(
      [existing, absent].map((path) => client.enqueue(ingest, { path, confined: true })),
    );
    const [x, y] = await settle(
      client,
      handles.map((handle) => handle.id),
      30_000,
      'confined jobs outside the roots',
    );
    assert.equal(x!.state, 'failed');
    assert.equal(y!.state, 'failed');
    assert.equal((x!.failedReason ?? '').replace(existing, 'P'), (y!.failedReason ?? '').replace(absent, 'P'));
    assert.doesNotMatch(x!.failedReason ?? '', /OUTSIDE-SECRET/);
  });

  test('over HTTP a `source` with a `path` is refused: one document cannot overwrite another', async () => {
    writeFileSync(join(root, 'other.txt'), 'Another note.\n');
    const refused = await post({ path: join(root, 'other.txt'), source: join(root, 'docs-before', 'note.txt') });
    assert.equal(refused.status, 400);
    assert.deepEqual(
      (refused.body.fields as Array<{ field: string }>).map((f) => f.field),
      ['data.source'],
    );
  });
});
