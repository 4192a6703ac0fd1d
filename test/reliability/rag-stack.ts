// A worker with the built-in tasks (and a dashboard), as separate `lanes` processes on one test
// env, for the suites that drive Lanes through its doors (client, CLI, HTTP, worker).
import { LanesClient } from '@lanes/client';
import { REDIS_URL, untilHttpOk } from '../support/env.ts';
import { freePort } from '../support/servers.ts';
import { dropRagState, type TestEnv } from '../rag/helpers.ts';
import { spawnLanes, spawnLanesWorker, type WorkerProcess } from './helpers.ts';

export interface RagWorker {
  readonly worker: WorkerProcess;
  readonly client: LanesClient;
  readonly metricsPort: number;
  /** Stops the processes, closes the client and drops the env's Redis keys and schema. */
  close(): Promise<void>;
}

export interface RagStack extends RagWorker {
  readonly dashboard: WorkerProcess;
  readonly apiUrl: string;
}

/** An HTTP status, or 0 when nothing answers within 3 s. */
export async function httpStatus(url: string): Promise<number> {
  return (await fetch(url, { signal: AbortSignal.timeout(3000) }).catch(() => undefined))?.status ?? 0;
}

/** Starts `lanes worker` with the built-in tasks and waits until it is ready. */
export async function startRagWorker(env: TestEnv, concurrency: number): Promise<RagWorker> {
  const metricsPort = await freePort();
  const worker = spawnLanesWorker({
    redisUrl: REDIS_URL,
    prefix: env.LANES_PREFIX!,
    env,
    builtins: true,
    args: ['--concurrency', String(concurrency), '--metrics-port', String(metricsPort)],
  });
  const client = new LanesClient({ redisUrl: REDIS_URL, prefix: env.LANES_PREFIX! });
  const close = async (): Promise<void> => {
    await worker.stop(5000);
    await client.close();
    await dropRagState(env).catch(() => undefined);
  };
  await untilHttpOk(`http://127.0.0.1:${metricsPort}/readyz`, 'the worker');
  return { worker, client, metricsPort, close };
}

/** The worker plus `lanes dashboard`, once the dashboard is healthy too. */
export async function startRagStack(env: TestEnv, concurrency: number): Promise<RagStack> {
  const port = await freePort();
  const dashboard = spawnLanes(['dashboard', '--port', String(port), '--host', '127.0.0.1'], env);
  const apiUrl = `http://127.0.0.1:${port}`;
  const started = await startRagWorker(env, concurrency).catch(async (error: unknown) => {
    await dashboard.stop(5000);
    throw error;
  });
  const close = async (): Promise<void> => {
    await dashboard.stop(5000);
    await started.close();
  };
  await untilHttpOk(`${apiUrl}/healthz`, 'the dashboard');
  return { ...started, dashboard, apiUrl, close };
}
