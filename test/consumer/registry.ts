// A real npm registry on loopback: verdaccio with its storage in a temp dir, @lanes/* published
// to it by an account created through its API, everything else left to the default registry
// (apps point only the @lanes scope here).
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { sleep } from '../support/env.ts';
import { freePort } from '../support/servers.ts';
import { mustRun, start, userEnv, type LongRunning } from './processes.ts';

const VERDACCIO_BIN = join(createRequire(import.meta.url).resolve('verdaccio/package.json'), '..', 'bin', 'verdaccio');

export interface LocalRegistry {
  /** With a trailing slash, as npm writes registry URLs. */
  readonly url: string;
  publish(tarball: string): Promise<void>;
  stop(): Promise<void>;
}

function config(dir: string): string {
  return [
    `storage: ${join(dir, 'storage')}`,
    'auth:',
    '  htpasswd:',
    `    file: ${join(dir, 'htpasswd')}`,
    'uplinks: {}',
    'packages:',
    "  '@lanes/*':",
    '    access: $all',
    '    publish: $authenticated',
    "  '**':",
    '    access: $all',
    'log: { type: stdout, format: json, level: warn }',
    '',
  ].join('\n');
}

async function waitUntilUp(url: string, server: LongRunning): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${url}-/ping`)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`verdaccio did not answer on ${url} within 30 s:\n${server.output()}`);
    await sleep(100);
  }
}

async function createUser(url: string): Promise<string> {
  const response = await fetch(`${url}-/user/org.couchdb.user:lanes-ci`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'lanes-ci', password: 'lanes-ci-password' }),
  });
  const body = (await response.json()) as { token?: string };
  if (!response.ok || body.token === undefined)
    throw new Error(`verdaccio refused to create a user: ${response.status} ${JSON.stringify(body)}`);
  return body.token;
}

export async function startRegistry(dir: string): Promise<LocalRegistry> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  writeFileSync(join(dir, 'config.yaml'), config(dir));
  const server = start(
    process.execPath,
    [VERDACCIO_BIN, '--config', join(dir, 'config.yaml'), '--listen', `127.0.0.1:${port}`],
    { cwd: dir, env: userEnv([]) },
  );
  try {
    await waitUntilUp(url, server);
    const token = await createUser(url);
    // The token goes in a userconfig of its own, never in the user's ~/.npmrc.
    const npmrc = join(dir, 'publish.npmrc');
    writeFileSync(npmrc, `//127.0.0.1:${port}/:_authToken=${token}\n`);
    return {
      url,
      async publish(tarball) {
        await mustRun(
          'npm',
          ['publish', tarball, '--registry', url, '--userconfig', npmrc, '--access', 'public', '--loglevel=error'],
          { cwd: dir, env: userEnv([]) },
        );
      },
      async stop() {
        await server.stop(5_000);
      },
    };
  } catch (error) {
    await server.stop(5_000);
    throw error;
  }
}
