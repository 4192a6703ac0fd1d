import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { LanesMetrics } from './metrics.ts';

export interface ProbeResult {
  readonly ok: boolean;
  readonly detail: Record<string, unknown>;
}

export interface Probes {
  liveness(): Promise<ProbeResult>;
  readiness(): Promise<ProbeResult>;
  /** Refreshes gauges that are read from Redis on scrape (lane depths). */
  beforeScrape?(): Promise<void>;
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

async function answerProbe(res: ServerResponse, probe: () => Promise<ProbeResult>): Promise<void> {
  const result = await probe().catch((error: unknown) => ({ ok: false, detail: { error: String(error) } }));
  send(
    res,
    result.ok ? 200 : 503,
    'application/json',
    JSON.stringify({ status: result.ok ? 'ok' : 'unavailable', ...result.detail }),
  );
}

/** The worker's small HTTP side: `/metrics`, `/healthz`, `/readyz` on `--metrics-port`. */
export function startProbeServer(
  port: number,
  metrics: LanesMetrics,
  probes: Probes,
  host = '0.0.0.0',
): Promise<Server> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET') return send(res, 405, 'text/plain', 'method not allowed\n');
    if (path === '/healthz') return void answerProbe(res, probes.liveness);
    if (path === '/readyz') return void answerProbe(res, probes.readiness);
    if (path === '/metrics') {
      void (async () => {
        await probes.beforeScrape?.().catch(() => undefined);
        send(res, 200, metrics.registry.contentType, await metrics.registry.metrics());
      })();
      return;
    }
    send(res, 404, 'text/plain', 'not found\n');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
