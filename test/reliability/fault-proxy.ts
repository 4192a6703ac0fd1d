// An HTTP proxy in front of the fake OpenAI server that turns a random share of requests into
// faults: 429 with retry-after / retry-after-ms, 500, a hang (no answer until the client gives
// up), malformed JSON with status 200, or a reset connection. The rest are forwarded untouched.
// It counts every request and fault, and records when each request arrived (for rate checks).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const FAULT_KINDS = ['rate-limit', 'server-error', 'hang', 'malformed-json', 'reset'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultProxyOptions {
  /** Where healthy requests go, e.g. the fake server's `http://127.0.0.1:port/v1`. */
  readonly upstream: string;
  /** Share of requests that get a fault, 0..1. */
  readonly rate: number;
  /** Relative weights of the fault kinds (missing kinds: 0). */
  readonly mix: Partial<Record<FaultKind, number>>;
  /** Deterministic randomness for replay. */
  readonly random: () => number;
  /** retry-after-ms sent with injected 429s. */
  readonly retryAfterMs?: number;
}

export class FaultProxy {
  readonly #options: FaultProxyOptions;
  readonly #server: Server;
  readonly #hanging = new Set<ServerResponse>();
  readonly faults: Record<FaultKind, number> = {
    'rate-limit': 0,
    'server-error': 0,
    hang: 0,
    'malformed-json': 0,
    reset: 0,
  };
  readonly arrivals: number[] = [];
  forwarded = 0;
  url = '';
  /** Stops injecting faults (everything is forwarded) when false. */
  enabled = true;

  constructor(options: FaultProxyOptions) {
    this.#options = options;
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/v1`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  get injected(): number {
    return Object.values(this.faults).reduce((a, b) => a + b, 0);
  }

  #pick(): FaultKind | undefined {
    if (!this.enabled || this.#options.random() >= this.#options.rate) return undefined;
    const weights = FAULT_KINDS.map((kind) => this.#options.mix[kind] ?? 0);
    let roll = this.#options.random() * weights.reduce((a, b) => a + b, 0);
    for (const [i, weight] of weights.entries()) {
      roll -= weight;
      if (roll < 0) return FAULT_KINDS[i];
    }
    return undefined;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    this.arrivals.push(Date.now());
    const fault = this.#pick();
    if (fault !== undefined) this.faults[fault] += 1;
    switch (fault) {
      case 'rate-limit': {
        const wait = this.#options.retryAfterMs ?? 200;
        res.writeHead(429, {
          'content-type': 'application/json',
          'retry-after-ms': String(wait),
          'retry-after': String(Math.ceil(wait / 1000)),
        });
        res.end(
          JSON.stringify({
            error: { message: 'Rate limit reached (injected).', type: 'requests', code: 'rate_limit_exceeded' },
          }),
        );
        return;
      }
      case 'server-error':
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            error: {
              message: 'The server had an error while processing your request.',
              type: 'server_error',
              code: null,
            },
          }),
        );
        return;
      case 'hang':
        this.#hanging.add(res);
        res.on('close', () => this.#hanging.delete(res));
        return;
      case 'malformed-json':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,0.2,');
        return;
      case 'reset':
        req.socket.destroy();
        return;
      case undefined:
        break;
    }
    this.forwarded += 1;
    try {
      const upstream = await fetch(`${this.#options.upstream}${(req.url ?? '').replace(/^\/v1/, '')}`, {
        method: req.method ?? 'POST',
        headers: {
          'content-type': req.headers['content-type'] ?? 'application/json',
          authorization: String(req.headers.authorization ?? ''),
        },
        body: req.method === 'GET' ? undefined : Buffer.concat(chunks),
      });
      const headers: Record<string, string> = {};
      upstream.headers.forEach((value, key) => {
        if (!['content-length', 'transfer-encoding', 'connection', 'content-encoding'].includes(key))
          headers[key] = value;
      });
      res.writeHead(upstream.status, headers);
      res.end(Buffer.from(await upstream.arrayBuffer()));
    } catch (error) {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `proxy: ${String(error)}` } }));
    }
  }

  /** Most requests that arrived within any window of `windowMs`. */
  peakInWindow(windowMs: number): number {
    const times = [...this.arrivals].sort((a, b) => a - b);
    let peak = 0;
    for (let start = 0, end = 0; end < times.length; end += 1) {
      while (times[end]! - times[start]! >= windowMs) start += 1;
      peak = Math.max(peak, end - start + 1);
    }
    return peak;
  }
}
