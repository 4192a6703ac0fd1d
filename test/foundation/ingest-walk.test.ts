// `lanes ingest DIR` walks a project folder as a person expects: it skips node_modules,
// dot-folders and what .gitignore files ignore, says how many it skipped, and follows no
// symbolic link out of the folder. Real files in a temporary folder; the CLI enqueues into
// a Redis prefix of its own.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Redis } from 'ioredis';
import { expandDocumentPaths } from '../../packages/cli/src/support/document-paths.ts';
import { REDIS_URL, uniquePrefix } from '../support/env.ts';
import { runCli } from '../support/workers.ts';

describe('ingest: walking folders', () => {
  let base: string;
  let project: string;
  const prefix = uniquePrefix('walk');

  const file = async (path: string, text = 'text'): Promise<void> => {
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, text);
  };

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'lanes-walk-'));
    project = join(base, 'project');
    await file(join(project, 'README.md'));
    await file(join(project, 'docs', 'guide.md'));
    await file(join(project, 'docs', 'notes.txt'));
    await file(join(project, 'docs', 'build', 'generated.md'));
    await file(join(project, 'docs', 'draft.tmp.md'));
    await file(join(project, 'docs', 'image.png'));
    await file(join(project, 'docs', '.gitignore'), 'draft.*.md\n');
    await file(join(project, '.gitignore'), '# build output\nbuild/\n*.log.txt\n');
    await file(join(project, 'server.log.txt'));
    await file(join(project, 'node_modules', 'dep', 'README.md'));
    await file(join(project, 'node_modules', 'dep', 'CHANGELOG.md'));
    await file(join(project, '.git', 'description.txt'));
    await file(join(project, '.github', 'CONTRIBUTING.md'));
    await file(join(project, '.env.md'));
    await file(join(base, 'outside', 'secret.md'));
    await symlink(join(base, 'outside', 'secret.md'), join(project, 'docs', 'linked-out.md'));
    await symlink(join(base, 'outside'), join(project, 'outside-dir'));
    await symlink(join(project, 'docs', 'guide.md'), join(project, 'guide-link.md'));
    await symlink(project, join(project, 'docs', 'loop'));
  });

  after(async () => {
    await rm(base, { recursive: true, force: true });
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`{${prefix}}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  test('node_modules, dot-entries, .gitignore rules (nested too) and links leading out are skipped and counted', async () => {
    const walked = await expandDocumentPaths([project]);
    assert.deepEqual(walked.files, [
      join(project, 'README.md'),
      join(project, 'docs', 'guide.md'),
      join(project, 'docs', 'notes.txt'),
    ]);
    // Files: server.log.txt, draft.tmp.md, .env.md, docs/linked-out.md. Folders: node_modules, .git, .github, docs/build, outside-dir.
    assert.equal(walked.skippedFiles, 4);
    assert.equal(walked.skippedFolders, 5);
  });

  test('every extension the worker reads is walked for, .text and .markdown included (one list in the ingest contract)', async () => {
    const kinds = join(base, 'kinds');
    for (const name of ['a.pdf', 'b.txt', 'c.text', 'd.md', 'e.markdown', 'f.MD', 'g.docx'])
      await file(join(kinds, name));
    const walked = await expandDocumentPaths([kinds]);
    assert.deepEqual(
      walked.files,
      ['a.pdf', 'b.txt', 'c.text', 'd.md', 'e.markdown', 'f.MD'].map((name) => join(kinds, name)),
    );
  });

  test('a file named on the command line is taken even where a walk would skip it', async () => {
    const walked = await expandDocumentPaths([join(project, 'node_modules', 'dep', 'README.md')]);
    assert.deepEqual(walked.files, [join(project, 'node_modules', 'dep', 'README.md')]);
  });

  test('lanes ingest DIR enqueues only the walked files and says on stderr what it skipped', async () => {
    const run = await runCli(['ingest', project, '--json'], { LANES_PREFIX: prefix });
    assert.equal(run.code, 0, run.stderr);
    const body = JSON.parse(run.stdout) as { jobs: Array<{ task: string }> };
    assert.equal(body.jobs.length, 3);
    assert.match(run.stderr, /skipped 4 file\(s\) and 5 folder\(s\)/);
  });
});
