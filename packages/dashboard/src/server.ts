import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Express } from 'express';
import { LanesClient } from '@lanes/client';
import { createLogger, type RuntimeConfig } from '@lanes/worker-core';
import { createDashboard } from './app.ts';
import type { DashboardOptions } from './options.ts';
import { sampleBacklog } from './series.ts';

const BACKLOG_SAMPLE_MS = 60_000;

export interface StartDashboardOptions extends Omit<DashboardOptions, 'client'> {
  /** Default 3000; 0 picks a free port. */
  readonly port?: number;
  /** Default 0.0.0.0, as containers need; pass 127.0.0.1 to keep it on this machine. */
  readonly host?: string;
  /** When omitted, one is created from `config` and closed by close(). */
  readonly client?: LanesClient;
  readonly config?: Pick<RuntimeConfig, 'redisUrl' | 'prefix'>;
}

export interface RunningDashboard {
  /** Where a person on this machine opens it, without a trailing slash: http://127.0.0.1:3000. */
  readonly url: string;
  readonly port: number;
  readonly app: Express;
  readonly server: Server;
  close(): Promise<void>;
}

export const DEFAULT_DASHBOARD_PORT = 3000;

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function localHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** Creates the dashboard and listens; close() stops the server, its connections and an owned client. */
export async function startDashboard(options: StartDashboardOptions): Promise<RunningDashboard> {
  const { port = DEFAULT_DASHBOARD_PORT, host = '0.0.0.0', client: given, ...rest } = options;
  if (given === undefined && options.config === undefined)
    throw new TypeError('startDashboard needs a client or a config');
  const client = given ?? new LanesClient({ redisUrl: options.config!.redisUrl, prefix: options.config!.prefix });
  const logger = options.logger ?? createLogger('info', { component: 'dashboard' });
  const app = createDashboard({ ...rest, logger, client });
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(port, host, (error?: Error) =>
      error === undefined ? resolve(listening) : reject(error),
    );
    listening.once('error', reject);
  });
  // Keep-alive sockets would otherwise hold close() open until they time out.
  server.keepAliveTimeout = 5000;
  const bound = (server.address() as AddressInfo).port;
  if ((options.token ?? '') === '' && !isLoopback(host)) {
    logger.warn(
      { host, port: bound },
      'dashboard listens beyond this machine without a token: set LANES_DASHBOARD_TOKEN',
    );
  }
  // The backlog chart's history: sampled here too, so it grows while nobody has the page open.
  const sampler = setInterval(() => void sampleBacklog(client).catch(() => undefined), BACKLOG_SAMPLE_MS);
  sampler.unref();
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      clearInterval(sampler);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 2000).unref();
      await closed;
      if (given === undefined) await client.close();
    })();
    return closing;
  };
  return { url: `http://${localHost(host)}:${bound}`, port: bound, app, server, close };
}
