import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { FakeOpenAIServer } from '../support/fake-openai-server.ts';
import { dropRagState, openaiEnv, ragTestEnv, type TestEnv } from './helpers.ts';

const HAMMER = join(import.meta.dirname, 'support', 'budget-hammer.ts');
// The provider allows 5 requests/s with a burst of 12 (a bucket of 12 refilled at 5/s). The
// shared budget is set to 90% of the rate and a smaller burst (270 per minute: a bucket of 9
// per 2 s), as one would in production: clocks, transit and a stalled process make two
// buckets with identical limits disagree at the edges.
const LIMIT = { requests: 12, perMs: 2400 };
const BUDGET = { requests: 9, perMs: 2000 };

interface Hammer {
  ready: Promise<void>;
  done: Promise<{ requests: number; ms: number }>;
  go(): void;
}

function hammer(env: TestEnv, label: string, requests: number): Hammer {
  const child = spawn(process.execPath, [HAMMER], {
    env: { ...env, REQUESTS: String(requests), CONCURRENCY: '4', HAMMER_LABEL: label },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.includes('ready\n')) onReady();
  });
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const done = new Promise<{ requests: number; ms: number }>((resolve, reject) =>
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (code === 0 && line !== undefined) resolve(JSON.parse(line));
      else reject(new Error(`hammer ${label} exited with ${code}: ${err.slice(-2000)}`));
    }),
  );
  return { ready, done, go: () => child.stdin.end('go\n') };
}

async function race(env: TestEnv, perProcess: number): Promise<void> {
  const a = hammer(env, 'a', perProcess);
  const b = hammer(env, 'b', perProcess);
  await Promise.race([Promise.all([a.ready, b.ready]), a.done, b.done]);
  a.go();
  b.go();
  await Promise.all([a.done, b.done]);
}

describe('embedding rate budget', () => {
  const server = new FakeOpenAIServer({ rateLimit: LIMIT });
  let env: TestEnv;

  before(async () => {
    await server.start();
    env = ragTestEnv(
      'budget',
      openaiEnv(server, {
        LANES_EMBED_RPM: '270',
        LANES_EMBED_BUDGET_WINDOW_MS: '2000',
        LANES_EMBED_MAX_ATTEMPTS: '10',
      }),
    );
  });

  after(async () => {
    await dropRagState(env);
    await server.stop();
  });

  test('two worker processes share one budget: the provider never answers 429', async () => {
    server.reset();
    server.setRateLimit(LIMIT);
    await race(env, 12);
    assert.equal(server.calls(), 24);
    assert.equal(server.countStatus(429), 0, 'no request was sent beyond the shared budget');
    // At every moment, requests so far fit the bucket: burst plus refill since the first one.
    const times = server.requests.map((r) => r.at).sort((x, y) => x - y);
    const first = times[0]!;
    times.forEach((at, i) => {
      const allowed = BUDGET.requests + ((at - first) * BUDGET.requests) / BUDGET.perMs + 2;
      assert.ok(i + 1 <= allowed, `request ${i + 1} at +${at - first} ms exceeds the budget (${allowed.toFixed(1)})`);
    });
    assert.ok(times.at(-1)! - first >= 2000, 'the burst was spread out rather than sent at once');
  });

  test('control: with a budget larger than the provider allows, the same load meets 429s (then retries)', async () => {
    server.reset();
    server.setRateLimit(LIMIT);
    await race(
      { ...env, LANES_PREFIX: `${env.LANES_PREFIX}-loose`, LANES_EMBED_RPM: '6000', LANES_EMBED_MAX_ATTEMPTS: '20' },
      8,
    );
    assert.equal(server.calls(), 16, 'every text was embedded eventually');
    assert.ok(server.countStatus(429) > 0, 'without a shared budget the provider pushes back');
  });
});
