// A worker with the built-in tasks and a dashboard, as separate `lanes` processes on one test
// env, for the suites that drive Lanes through every door (client, CLI, HTTP, worker).
import { LanesClient } from '@lanes/client';
import { eventually, REDIS_URL } from '../support/env.ts';
import { freePort } from '../support/servers.ts';
import { dropRagState, type TestEnv } from '../rag/helpers.ts';
import { spawnLanes, spawnLanesWorker, type WorkerProcess } from './helpers.ts';

export interface RagStack {
  readonly worker: WorkerProcess;
  readonly dashboard: WorkerProcess;
  readonly client: LanesClient;
  readonly apiUrl: string;
  readonly metricsPort: number;
  /** Stops both processes, closes the client and drops the env's Redis keys and schema. */
  close(): Promise<void>;
}

/** An HTTP status, or 0 when nothing answers within 3 s. */
export async function httpStatus(url: string): Promise<number> {
  return (await fetch(url, { signal: AbortSignal.timeout(3000) }).catch(() => undefined))?.status ?? 0;
}

/** Starts both processes and waits until the dashboard is healthy and the worker ready. */
export async function startRagStack(env: TestEnv, concurrency: number): Promise<RagStack> {
  const metricsPort = await freePort();
  const worker = spawnLanesWorker({
    redisUrl: REDIS_URL,
    prefix: env.LANES_PREFIX!,
    env,
    builtins: true,
    args: ['--concurrency', String(concurrency), '--metrics-port', String(metricsPort)],
  });
  const port = await freePort();
  const dashboard = spawnLanes(['dashboard', '--port', String(port), '--host', '127.0.0.1'], env);
  const apiUrl = `http://127.0.0.1:${port}`;
  const client = new LanesClient({ redisUrl: REDIS_URL, prefix: env.LANES_PREFIX! });
  const close = async (): Promise<void> => {
    await Promise.all([worker.stop(5000), dashboard.stop(5000)]);
    await client.close();
    await dropRagState(env).catch(() => undefined);
  };
  await eventually(
    async () => ((await httpStatus(`${apiUrl}/healthz`)) === 200 ? true : undefined),
    60_000,
    'the dashboard',
  );
  await eventually(
    async () => ((await httpStatus(`http://127.0.0.1:${metricsPort}/readyz`)) === 200 ? true : undefined),
    60_000,
    'the worker',
  );
  return { worker, dashboard, client, apiUrl, metricsPort, close };
}
