import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingest, type SearchHit } from '@lanes/contracts';
import { LanesClient } from '@lanes/client';
import { createRagReader, LOCAL_MODEL, localEmbedding, USE_LITE_MODEL, type RagReader } from '@lanes/tasks';
import { REDIS_URL, eventually, untilHttpOk } from '../support/env.ts';
import { runCli, type SpawnedWorker, CLI } from '../support/workers.ts';
import { FakeOpenAIServer } from '../support/fake-openai-server.ts';
import { dropRagState, ragTestEnv, sql, type TestEnv } from './helpers.ts';

const HASHING = `local/${LOCAL_MODEL}/384`;
/** Several processes and a neural model on two shared cores: minutes when the machine is busy. */
const SLOW = { timeout: 10 * 60_000 };
const USE_LITE = `local/${USE_LITE_MODEL}/512`;

/** Short prose documents, one chunk each: a topic per document, so questions have one answer. */
const TOPICS: Record<string, string> = {
  otters:
    'Sea otters float on their backs and use stones to break open clams and urchins. They live in kelp forests along the Pacific coast.',
  lighthouse:
    'A lighthouse uses a Fresnel lens to throw its beam far out to sea, warning ships away from rocks at night.',
  bread: 'To bake bread, knead the dough until it is elastic, let it rise for an hour, then bake it in a hot oven.',
  volcano:
    'Magma rises through cracks in the crust; when pressure builds, the mountain erupts and lava flows down its slopes.',
  bees: 'Honeybees dance in the hive to tell their sisters the direction and distance of flowers rich in nectar.',
  chess:
    'In the opening, players develop knights and bishops, fight for the centre and castle early to protect the king.',
  glacier:
    'Over centuries, compacted snow turns to ice that slowly flows downhill, carving valleys and leaving moraines behind.',
  violin:
    'The violinist draws a horsehair bow across four strings tuned in fifths, pressing them against the fingerboard to change pitch.',
};

/** Paraphrases that share (almost) no word with their answer: a sentence encoder finds them, word hashing mostly does not. */
const PARAPHRASES = [
  { query: 'which animal uses tools to eat shellfish', source: 'otters' },
  { query: 'tower guiding vessels in the dark', source: 'lighthouse' },
  { query: 'making a loaf from flour and yeast', source: 'bread' },
  { query: 'molten rock bursting from a peak', source: 'volcano' },
  { query: 'insects communicating where food is', source: 'bees' },
  { query: 'first moves of a board game strategy', source: 'chess' },
  { query: 'rivers of frozen water shaping mountains', source: 'glacier' },
  { query: 'playing a stringed instrument', source: 'violin' },
];

/** Texts ingested while a migration runs (many short documents: enough batches to kill a worker in between). */
function filler(n: number): { source: string; text: string } {
  return {
    source: `note-${n}`,
    text: `Field note ${n}: the weather station logged reading ${n * 7} at dawn, and the crew checked sensor ${n} twice.`,
  };
}

const cosine = (a: Float32Array, b: Float32Array): number => a.reduce((sum, value, i) => sum + value * b[i]!, 0);

/** The vector score a hit would have in the hashing space. */
function hashingScore(query: string, hit: SearchHit): number {
  return cosine(localEmbedding(query, 384), localEmbedding(hit.text, 384));
}

interface MigrationStatusJson {
  live: { name: string };
  shadow: { name: string } | null;
  migration: {
    id: number;
    state: string;
    running: boolean;
    progress: { texts: number; embedded: number } | null;
    eval: { fromMrr: number; toMrr: number } | null;
    reason: string | null;
  } | null;
}

describe('lanes migrate-embeddings: hashing <-> use-lite, with real workers, ingests and searches meanwhile', () => {
  let env: TestEnv;
  let client: LanesClient;
  let searcher: RagReader;
  let evalFile: string;
  const openai = new FakeOpenAIServer();
  const workers: SpawnedWorker[] = [];
  const processes: SpawnedWorker[] = [];
  let port = 19_500 + Math.floor(Math.random() * 400);

  /** A real `lanes worker` or `lanes dashboard` process with the built-in tasks, its port last in `args`; ready when /readyz answers. */
  async function startProcess(args: string[]): Promise<{ spawned: SpawnedWorker; url: string }> {
    const processPort = port++;
    const child = spawn(process.execPath, [CLI, ...args, String(processPort)], {
      env: { ...env, LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.on('exit', (code, signal) => resolve({ code, signal })),
    );
    const spawned = { process: child, exited, output: () => output };
    processes.push(spawned);
    const url = `http://127.0.0.1:${processPort}`;
    await untilHttpOk(`${url}/readyz`, args[0]!);
    return { spawned, url };
  }
  async function startWorker(): Promise<void> {
    workers.push((await startProcess(['worker', '--concurrency', '2', '--metrics-port'])).spawned);
  }

  let dashboardUrl = '';
  const cli = (args: string[]) => runCli(args, env);
  /** What the dashboard shows (the same document as `lanes migrate-embeddings --status --json`). */
  const status = async (): Promise<MigrationStatusJson> => {
    const res = await fetch(`${dashboardUrl}/api/embedding-migration`);
    assert.equal(res.status, 200);
    return (await res.json()) as MigrationStatusJson;
  };

  async function ingestAll(docs: ReadonlyArray<{ source: string; text: string }>): Promise<void> {
    const jobs = await Promise.all(docs.map((doc) => client.enqueue(ingest, doc)));
    await Promise.all(jobs.map((job) => job.wait({ timeoutMs: 120_000 })));
  }

  /** Live chunks without a vector in the space, and the space's table. */
  async function missingIn(model: string): Promise<number> {
    const [space] = await sql<{ table_name: string }>(
      env,
      `SELECT table_name FROM $schema.embedding_spaces WHERE model = $1`,
      [model],
    );
    assert.ok(space !== undefined, `the ${model} space exists`);
    const [row] = await sql<{ n: number }>(
      env,
      `SELECT count(*)::int AS n FROM $schema.chunks c WHERE c.live AND NOT EXISTS (SELECT 1 FROM $schema.${space.table_name} e WHERE e.content_hash = c.content_hash)`,
    );
    return row!.n;
  }

  before(async () => {
    // An OpenAI-compatible endpoint for a migration target that fails (the configured model stays local).
    await openai.start();
    env = ragTestEnv('migrate', {
      EMBEDDING_PROVIDER: 'local',
      OPENAI_BASE_URL: openai.url,
      OPENAI_API_KEY: 'sk-migrate-test-key',
      LANES_LOCAL_MODEL_THREADS: '1',
      LANES_EMBED_CHUNKS_PER_JOB: '2',
      LANES_LOCK_DURATION_MS: '3000',
      LANES_EXTRACT_THREADS: '1',
    });
    const dir = await mkdtemp(join(tmpdir(), 'lanes-migrate-'));
    evalFile = join(dir, 'paraphrases.jsonl');
    await writeFile(
      evalFile,
      PARAPHRASES.map(({ query, source }) => JSON.stringify({ query, expect: [{ source }] })).join('\n'),
    );
    client = new LanesClient({ redisUrl: REDIS_URL, prefix: env.LANES_PREFIX! });
    await startWorker();
    dashboardUrl = (await startProcess(['dashboard', '--port'])).url;
    await ingestAll(Object.entries(TOPICS).map(([source, text]) => ({ source, text })));
    searcher = createRagReader({ env });
  });

  after(async () => {
    await searcher?.close();
    await client?.close();
    for (const worker of processes) {
      worker.process.kill('SIGKILL');
      await worker.exited;
    }
    await openai.stop();
    await dropRagState(env);
  });

  test('bad input exits 2 with the reason, and nothing is started', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--to', 'cohere/embed-v3', '--force'], /provider must be one of local, openai/],
      [['--to', 'local/word2vec', '--force'], /model must be one of/],
      [['--to', `local/${LOCAL_MODEL}/5000`, '--force'], /dimensions must be <= 4000/],
      [['--to', USE_LITE], /--eval FILE is required/],
      [['--to', `local/${LOCAL_MODEL}`, '--force'], /already the live embedding space/],
      [['--drop-old'], /no other embedding space is kept/],
    ];
    // Each is a process of its own: two at a time, on two cores.
    for (let i = 0; i < cases.length; i += 2) {
      await Promise.all(
        cases.slice(i, i + 2).map(async ([args, reason]) => {
          const run = await cli(['migrate-embeddings', ...args]);
          assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
          assert.match(run.stderr, reason, args.join(' '));
        }),
      );
    }
    const now = await cli(['migrate-embeddings', '--status', '--json']);
    assert.equal(now.code, 0, now.stderr);
    const shown = JSON.parse(now.stdout) as MigrationStatusJson;
    assert.equal(shown.migration, null, 'no migration was recorded');
    assert.equal(shown.live.name, HASHING);
    assert.deepEqual(await status(), shown, 'the dashboard shows the same');
    assert.equal(await client.queues.get('low').count(), 0, 'nothing was enqueued');
  });

  test(
    'hashing -> use-lite with ingests meanwhile and a worker killed mid-way: resumes, switches, no chunk left without a vector',
    SLOW,
    async (t) => {
      const before = await searcher.search(PARAPHRASES[0]!.query, 5, { mode: 'vector', record: false });
      for (const hit of before.results)
        assert.ok(
          Math.abs(hit.scores.vector! - hashingScore(PARAPHRASES[0]!.query, hit)) < 1e-4,
          'hashing space before',
        );

      // More texts, so the re-embedding has enough batches to be caught half-way.
      await ingestAll(Array.from({ length: 24 }, (_, i) => filler(i)));
      // A search every 200 ms from a long-lived search process, from before the start to after the switch.
      const query = PARAPHRASES[0]!.query;
      const answers: Array<'hashing' | 'other'> = [];
      let searching = true;
      const searches = (async () => {
        while (searching) {
          const { results } = await searcher.search(query, 5, { mode: 'vector', record: false });
          assert.ok(results.length > 0, 'every search during the migration has results');
          const fromHashing = results.map((hit) => Math.abs(hit.scores.vector! - hashingScore(query, hit)) < 1e-4);
          assert.ok(
            fromHashing.every((x) => x === fromHashing[0]),
            'each answer comes from one space',
          );
          answers.push(fromHashing[0] ? 'hashing' : 'other');
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      })();

      const started = await cli(['migrate-embeddings', '--to', USE_LITE, '--eval', evalFile, '--json']);
      assert.equal(started.code, 0, started.stderr);
      const { migration } = JSON.parse(started.stdout) as { migration: { id: number } };

      // Ingests arrive while it runs; searches keep answering, from the old space.
      const late = client.enqueueBulk(
        ingest,
        Array.from({ length: 6 }, (_, i) => ({ payload: filler(100 + i) })),
      );
      const killedAt = await eventually(
        async () => {
          const now = await status();
          const progress = now.migration?.progress;
          return progress !== undefined &&
            progress !== null &&
            progress.embedded >= 4 &&
            progress.embedded < progress.texts - 6
            ? progress.embedded
            : undefined;
        },
        120_000,
        'the migration half-way',
      );
      t.diagnostic(`worker killed with ${killedAt} texts embedded`);
      const first = workers[0]!;
      first.process.kill('SIGKILL');
      await first.exited;
      const during = await searcher.search(PARAPHRASES[0]!.query, 5, { mode: 'vector', record: false });
      assert.ok(during.results.length > 0);
      for (const hit of during.results)
        assert.ok(
          Math.abs(hit.scores.vector! - hashingScore(PARAPHRASES[0]!.query, hit)) < 1e-4,
          'still the hashing space during the migration',
        );
      const paused = await status();
      assert.equal(paused.migration?.running, true, 'the migration waits for a worker');
      assert.ok(paused.migration!.progress!.embedded >= killedAt, 'work done before the kill is kept');

      await startWorker();
      await Promise.all((await late).map((job) => job.wait({ timeoutMs: 120_000 })));
      const done = await eventually(
        async () => {
          const now = await status();
          return now.migration?.running === false ? now : undefined;
        },
        180_000,
        'the migration to finish',
      );
      await eventually(
        async () => (answers.at(-1) === 'other' ? true : undefined),
        10_000,
        'the search process to follow the switch',
      );
      searching = false;
      await searches;
      const switchedAt = answers.indexOf('other');
      assert.ok(
        switchedAt > 5,
        `searches answered from the old space during the migration (${answers.length} searches)`,
      );
      assert.ok(
        answers.slice(switchedAt).every((answer) => answer === 'other'),
        'and from the new space once switched, never back',
      );
      t.diagnostic(`${answers.length} searches during the migration: ${switchedAt} from the old space, then the new`);
      assert.equal(done.migration?.id, migration.id);
      assert.equal(done.migration?.state, 'switched', done.migration?.reason ?? '');
      assert.ok(done.migration!.eval!.toMrr >= done.migration!.eval!.fromMrr, JSON.stringify(done.migration?.eval));
      t.diagnostic(
        `hybrid MRR@10 on the paraphrases: hashing ${done.migration!.eval!.fromMrr}, use-lite ${done.migration!.eval!.toMrr}; ${done.migration!.progress!.texts} texts`,
      );
      assert.equal(done.live.name, USE_LITE);
      assert.equal(done.shadow?.name, HASHING, 'the old space is kept for rollback');
      assert.equal(await missingIn(USE_LITE_MODEL), 0, 'every live chunk has a use-lite vector');
      assert.equal(await missingIn(LOCAL_MODEL), 0, 'and the kept space stays in step');
      const [notes] = await sql<{ n: number }>(
        env,
        `SELECT count(*)::int AS n FROM $schema.documents WHERE source LIKE 'note-1__' AND status = 'ready'`,
      );
      assert.equal(notes!.n, 6, 'the ingests made during the migration are live');

      // The long-lived search process switched without a restart (corpus version), to use-lite vectors.
      const afterSwitch = await searcher.search(PARAPHRASES[0]!.query, 5, { mode: 'vector', record: false });
      assert.equal(afterSwitch.results[0]?.source, 'otters');
      assert.ok(
        afterSwitch.results.some(
          (hit) => Math.abs(hit.scores.vector! - hashingScore(PARAPHRASES[0]!.query, hit)) > 1e-3,
        ),
        'scores come from another space',
      );

      // An ingest after the switch lands in both spaces.
      await ingestAll([filler(200)]);
      assert.equal(await missingIn(USE_LITE_MODEL), 0);
      assert.equal(await missingIn(LOCAL_MODEL), 0);
    },
  );

  test(
    '--drop-old drops the kept space; a migration that regresses is refused, --force switches, --rollback goes back',
    SLOW,
    async (t) => {
      const dropped = await cli(['migrate-embeddings', '--drop-old', '--json']);
      assert.equal(dropped.code, 0, dropped.stderr);
      assert.equal((JSON.parse(dropped.stdout) as { dropped: { name: string } }).dropped.name, HASHING);
      assert.equal(
        (await sql(env, `SELECT 1 FROM $schema.embedding_spaces WHERE model = $1`, [LOCAL_MODEL])).length,
        0,
      );

      // use-lite -> hashing on paraphrases: measurably worse, so search stays on use-lite.
      const refused = await cli(['migrate-embeddings', '--to', HASHING, '--eval', evalFile, '--wait', '--json']);
      assert.equal(refused.code, 1, refused.stderr);
      const refusal = JSON.parse(refused.stdout) as MigrationStatusJson;
      assert.equal(refusal.migration?.state, 'refused');
      assert.ok(
        refusal.migration!.eval!.toMrr < refusal.migration!.eval!.fromMrr,
        JSON.stringify(refusal.migration?.eval),
      );
      assert.match(refusal.migration!.reason!, /would drop/);
      t.diagnostic(
        `refused: hybrid MRR@10 use-lite ${refusal.migration!.eval!.fromMrr}, hashing ${refusal.migration!.eval!.toMrr}`,
      );
      assert.equal(refusal.live.name, USE_LITE);
      const stillUseLite = await searcher.search(PARAPHRASES[1]!.query, 3, { mode: 'vector', record: false });
      assert.ok(
        stillUseLite.results.some(
          (hit) => Math.abs(hit.scores.vector! - hashingScore(PARAPHRASES[1]!.query, hit)) > 1e-3,
        ),
        'search stays in use-lite',
      );

      const forced = await cli([
        'migrate-embeddings',
        '--to',
        HASHING,
        '--eval',
        evalFile,
        '--force',
        '--wait',
        '--json',
      ]);
      assert.equal(forced.code, 0, forced.stderr);
      const switched = JSON.parse(forced.stdout) as MigrationStatusJson;
      assert.equal(switched.migration?.state, 'switched');
      assert.equal(switched.live.name, HASHING);
      assert.equal(await missingIn(LOCAL_MODEL), 0);
      const hashed = await searcher.search(PARAPHRASES[1]!.query, 3, { mode: 'vector', record: false });
      for (const hit of hashed.results)
        assert.ok(
          Math.abs(hit.scores.vector! - hashingScore(PARAPHRASES[1]!.query, hit)) < 1e-4,
          'hashing space after --force',
        );

      const rolledBack = await cli(['migrate-embeddings', '--rollback', '--json']);
      assert.equal(rolledBack.code, 0, rolledBack.stderr);
      const back = JSON.parse(rolledBack.stdout) as MigrationStatusJson;
      assert.equal(back.live.name, USE_LITE);
      assert.equal(back.migration?.state, 'rolled-back');
      const useLiteAgain = await searcher.search(PARAPHRASES[1]!.query, 3, { mode: 'vector', record: false });
      assert.ok(
        useLiteAgain.results.some(
          (hit) => Math.abs(hit.scores.vector! - hashingScore(PARAPHRASES[1]!.query, hit)) > 1e-3,
        ),
        'use-lite again after --rollback',
      );
    },
  );

  test(
    'a target whose API refuses the key: the migration fails and says why, ingests go on, search stays',
    SLOW,
    async () => {
      openai.inject({ kind: 'invalid-api-key', times: Number.POSITIVE_INFINITY });
      const before = await status();
      const started = await cli([
        'migrate-embeddings',
        '--to',
        'openai/text-embedding-3-small/256',
        '--force',
        '--json',
      ]);
      assert.equal(started.code, 0, started.stderr);
      // Shadow writes into the failing target never fail an ingest into the live space.
      await ingestAll([filler(300)]);
      const failed = await eventually(
        async () => {
          const now = await status();
          return now.migration?.running === false ? now : undefined;
        },
        60_000,
        'the migration to fail',
      );
      assert.equal(failed.migration?.state, 'failed');
      assert.match(failed.migration!.reason!, /API key/);
      assert.doesNotMatch(failed.migration!.reason!, /sk-migrate-test-key/, 'the key is masked');
      assert.equal(failed.live.name, before.live.name, 'search never left the live space');
      assert.equal(failed.shadow, null, 'the failed target is no longer written along');
      assert.ok(openai.countStatus(401) > 0, 'the target was really asked');
      assert.equal(await missingIn(USE_LITE_MODEL), 0);
      // The failed migration does not block the next; back to the hashing space, whose table is still there.
      const again = await cli(['migrate-embeddings', '--to', HASHING, '--force', '--wait', '--json']);
      assert.equal(again.code, 0, again.stderr);
      assert.equal((JSON.parse(again.stdout) as MigrationStatusJson).live.name, HASHING);
      assert.equal(await missingIn(LOCAL_MODEL), 0);
    },
  );
});
