import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRagReader, SCHEMA_VERSION, SchemaNotMigratedError } from '@lanes/tasks';
import { runCli } from '../support/workers.ts';
import { dropRagState, ragTestEnv, sql, startRagWorker } from './helpers.ts';

const schemaExists = async (schema: string): Promise<boolean> =>
  (await sql<{ n: number }>({}, 'SELECT count(*)::int AS n FROM pg_namespace WHERE nspname = $1', [schema]))[0]!.n > 0;

describe('readers (CLI search, documents, delete, eval; the dashboard) never migrate', () => {
  const env = ragTestEnv('unmigrated');
  after(() => dropRagState(env));

  test('on a schema no worker has migrated, each reading command fails with one clear error and creates nothing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lanes-readers-'));
    try {
      const evalFile = join(dir, 'questions.jsonl');
      await writeFile(evalFile, `${JSON.stringify({ query: 'otters', expect: [{ source: 'otters.txt' }] })}\n`);
      for (const args of [
        ['search', 'otters', '--mode', 'lexical'],
        ['search', 'otters'],
        ['documents'],
        ['delete', 'otters.txt'],
        ['eval', evalFile],
      ]) {
        const run = await runCli(args, env);
        assert.equal(run.code, 1, `${args.join(' ')}: ${run.stderr}`);
        assert.match(
          run.stderr,
          new RegExp(
            `schema "${env.LANES_PG_SCHEMA}" is not migrated.*start a worker with the built-in tasks \\(\`lanes worker\`\\)`,
          ),
          args.join(' '),
        );
        assert.equal(await schemaExists(env.LANES_PG_SCHEMA!), false, `${args.join(' ')} created the schema`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('a schema behind the code is refused too, naming its version; a worker migrates it and the reader then serves', async () => {
    await sql(env, 'CREATE SCHEMA $schema');
    await sql(env, 'CREATE TABLE $schema.lanes_migrations (version integer PRIMARY KEY, name text NOT NULL)');
    await sql(env, `INSERT INTO $schema.lanes_migrations VALUES (1, 'first')`);
    const reader = createRagReader({ env });
    try {
      await assert.rejects(reader.search('otters', 3, { mode: 'lexical' }), (error: unknown) => {
        assert.ok(error instanceof SchemaNotMigratedError);
        assert.equal(error.code, 'SCHEMA_NOT_MIGRATED');
        assert.deepEqual(error.context, { schema: env.LANES_PG_SCHEMA, version: 1, needed: SCHEMA_VERSION });
        return true;
      });
      const tables = await sql<{ n: number }>(env, 'SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1', [
        env.LANES_PG_SCHEMA,
      ]);
      assert.equal(tables[0]!.n, 1, 'only the table the test made');
      await sql(env, 'DROP SCHEMA $schema CASCADE');

      const w = await startRagWorker(env);
      try {
        await (
          await w.worker.client.enqueue((await import('@lanes/contracts')).ingest, {
            text: 'Sea otters float on their backs.',
            source: 'otters.txt',
          })
        ).wait({ timeoutMs: 30_000 });
        // The same reader: the check passes once, after a worker migrated the schema.
        const hits = await reader.search('otters float', 3);
        assert.equal(hits.results[0]?.source, 'otters.txt');
        assert.deepEqual(
          (await reader.documents.list()).map((doc) => doc.source),
          ['otters.txt'],
        );
      } finally {
        await w.close();
      }
    } finally {
      await reader.close();
    }
  });
});
