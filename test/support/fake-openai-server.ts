/**
 * A local OpenAI-compatible embeddings server for tests: POST /v1/embeddings with the real
 * API's request limits, a token-bucket rate limit answering 429 with retry-after-ms and
 * retry-after, injectable faults (500s, slow replies, hangs, malformed JSON, quota errors,
 * unknown models) and deterministic vectors (similar texts get similar vectors, different
 * models different spaces). Counts everything it sees so tests can assert on API calls.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { countTokens, localEmbedding } from '@lanes/tasks';

export const MAX_INPUTS = 2048;
export const MAX_TOKENS_PER_INPUT = 8192;
export const MAX_TOKENS_PER_REQUEST = 300_000;

export type FaultKind =
  | 'server-error'
  | 'rate-limit'
  | 'slow'
  | 'hang'
  | 'malformed-json'
  | 'insufficient-quota'
  | 'model-not-found'
  | 'invalid-api-key';

export interface Fault {
  readonly kind: FaultKind;
  /** How many matching requests it applies to; Infinity for "until cleared". */
  readonly times: number;
  /** Only requests for this model. */
  readonly model?: string;
  /** For `slow`: delay before a normal reply. For `rate-limit`: the retry-after-ms sent. */
  readonly delayMs?: number;
}

export interface RateLimitConfig {
  /** Token bucket: `requests` per `perMs`, starting full, refilled continuously. */
  readonly requests: number;
  readonly perMs: number;
}

export interface FakeOpenAIOptions {
  /** Models served; any other answers 404 model_not_found. Default: the text-embedding-3 pair. */
  readonly models?: readonly string[];
  readonly rateLimit?: RateLimitConfig;
  /** Native dimensions when the request has no `dimensions`. */
  readonly defaultDimensions?: number;
}

export interface RequestRecord {
  readonly at: number;
  readonly model: string;
  readonly inputs: number;
  readonly status: number;
}

interface Pending extends Fault {
  remaining: number;
}

function modelSeed(model: string): Uint32Array {
  return new Uint32Array(createHash('sha256').update(model).digest().buffer.slice(0, 32));
}

/** Same text, same model: same vector. Different models: a different (permuted, sign-flipped) space. */
export function fakeVector(text: string, model: string, dimensions: number): Float32Array {
  const base = localEmbedding(text, dimensions);
  const seed = modelSeed(model);
  const out = new Float32Array(dimensions);
  const shift = seed[0]! % dimensions;
  for (let i = 0; i < dimensions; i++) {
    const sign = (seed[(i % 7) + 1]! >> (i % 32)) & 1 ? -1 : 1;
    out[(i + shift) % dimensions] = sign * base[i]!;
  }
  return out;
}

export class FakeOpenAIServer {
  readonly #options: FakeOpenAIOptions;
  readonly #faults: Pending[] = [];
  readonly #server: Server;
  readonly #hanging = new Set<ServerResponse>();
  #bucket: { tokens: number; at: number } | undefined;
  /** Every request, accepted or not. */
  readonly requests: RequestRecord[] = [];
  /** How many times each exact text was embedded successfully, per model. */
  readonly textCounts = new Map<string, number>();
  url = '';

  constructor(options: FakeOpenAIOptions = {}) {
    this.#options = options;
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  async start(port = 0): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(port, '127.0.0.1', resolve));
    const address = this.#server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${address.port}/v1`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const res of this.#hanging) res.destroy();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  inject(fault: Fault): void {
    this.#faults.push({ ...fault, remaining: fault.times });
  }

  clearFaults(): void {
    this.#faults.length = 0;
  }

  setRateLimit(limit: RateLimitConfig | undefined): void {
    (this.#options as { rateLimit?: RateLimitConfig }).rateLimit = limit;
    this.#bucket = undefined;
  }

  reset(): void {
    this.requests.length = 0;
    this.textCounts.clear();
    this.clearFaults();
  }

  /** Successful requests (HTTP 200), optionally for one model. */
  calls(model?: string): number {
    return this.requests.filter((r) => r.status === 200 && (model === undefined || r.model === model)).length;
  }

  /** Inputs embedded successfully, optionally for one model. */
  inputs(model?: string): number {
    return this.requests
      .filter((r) => r.status === 200 && (model === undefined || r.model === model))
      .reduce((sum, r) => sum + r.inputs, 0);
  }

  countStatus(status: number): number {
    return this.requests.filter((r) => r.status === status).length;
  }

  timesEmbedded(text: string, model: string): number {
    return this.textCounts.get(`${model}\0${text}`) ?? 0;
  }

  #takeFault(model: string): Pending | undefined {
    const fault = this.#faults.find((f) => f.remaining > 0 && (f.model === undefined || f.model === model));
    if (fault !== undefined) fault.remaining -= 1;
    return fault;
  }

  /** Returns the ms until a request fits, or 0 after taking one. */
  #rateLimited(): number {
    const limit = this.#options.rateLimit;
    if (limit === undefined) return 0;
    const now = Date.now();
    this.#bucket ??= { tokens: limit.requests, at: now };
    const bucket = this.#bucket;
    bucket.tokens = Math.min(limit.requests, bucket.tokens + ((now - bucket.at) * limit.requests) / limit.perMs);
    bucket.at = now;
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - bucket.tokens) * limit.perMs) / limit.requests);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = (req.url ?? '').replace(/\?.*$/, '');
    if (req.method !== 'POST' || !/^(\/v1)?\/embeddings$/.test(path)) {
      this.#json(res, 404, {
        error: { message: `no route ${req.method} ${path}`, type: 'invalid_request_error', code: 'not_found' },
      });
      return;
    }
    let body: { model?: unknown; input?: unknown; dimensions?: unknown; encoding_format?: unknown };
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      this.#error(res, 400, 'could not parse the JSON body of your request', '', 'invalid_request_error');
      return;
    }
    const model = typeof body.model === 'string' ? body.model : '';
    const inputs = typeof body.input === 'string' ? [body.input] : Array.isArray(body.input) ? body.input : undefined;
    const record = (status: number): void => {
      this.requests.push({ at: Date.now(), model, inputs: inputs?.length ?? 0, status });
    };

    const wait = this.#rateLimited();
    if (wait > 0) {
      record(429);
      res.setHeader('retry-after-ms', String(wait));
      res.setHeader('retry-after', String(Math.ceil(wait / 1000)));
      this.#error(
        res,
        429,
        `Rate limit reached for ${model}. Please try again in ${wait}ms.`,
        'rate_limit_exceeded',
        'requests',
      );
      return;
    }
    const fault = this.#takeFault(model);
    if (fault !== undefined) {
      switch (fault.kind) {
        case 'server-error':
          record(500);
          this.#error(res, 500, 'The server had an error while processing your request.', null, 'server_error');
          return;
        case 'rate-limit':
          record(429);
          res.setHeader('retry-after-ms', String(fault.delayMs ?? 100));
          res.setHeader('retry-after', String(Math.ceil((fault.delayMs ?? 100) / 1000)));
          this.#error(res, 429, 'Rate limit reached (injected).', 'rate_limit_exceeded', 'requests');
          return;
        case 'insufficient-quota':
          record(429);
          this.#error(
            res,
            429,
            'You exceeded your current quota, please check your plan and billing details.',
            'insufficient_quota',
            'insufficient_quota',
          );
          return;
        case 'invalid-api-key': {
          // As some OpenAI-compatible servers do: the key sent is echoed whole in the message.
          record(401);
          const key = (req.headers.authorization ?? '').replace(/^Bearer\s+/i, '');
          this.#error(
            res,
            401,
            `Incorrect API key provided: ${key}. You can find your API key at https://platform.openai.com/account/api-keys.`,
            'invalid_api_key',
            'invalid_request_error',
          );
          return;
        }
        case 'model-not-found':
          record(404);
          this.#error(
            res,
            404,
            `The model \`${model}\` does not exist or you do not have access to it.`,
            'model_not_found',
            'invalid_request_error',
          );
          return;
        case 'malformed-json':
          // Sent as a 200, recorded as 502 so it never counts as a successful call.
          record(502);
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"object":"list","data":[{"embedding": [0.1, 0.2,');
          return;
        case 'hang':
          record(0);
          this.#hanging.add(res);
          res.on('close', () => this.#hanging.delete(res));
          return;
        case 'slow':
          await new Promise((resolve) => setTimeout(resolve, fault.delayMs ?? 500));
          break;
      }
    }

    const models = this.#options.models ?? ['text-embedding-3-small', 'text-embedding-3-large'];
    if (!models.includes(model)) {
      record(404);
      this.#error(
        res,
        404,
        `The model \`${model}\` does not exist or you do not have access to it.`,
        'model_not_found',
        'invalid_request_error',
      );
      return;
    }
    if (inputs === undefined || inputs.length === 0) {
      record(400);
      this.#error(res, 400, "'$.input' is invalid. Please check the API reference.", null, 'invalid_request_error');
      return;
    }
    if (inputs.length > MAX_INPUTS) {
      record(400);
      this.#error(
        res,
        400,
        `'$.input' is too long: ${inputs.length} items, maximum is ${MAX_INPUTS}.`,
        null,
        'invalid_request_error',
      );
      return;
    }
    let total = 0;
    for (const input of inputs) {
      if (typeof input !== 'string' || input === '') {
        record(400);
        this.#error(res, 400, "'$.input' is invalid: empty strings are not allowed.", null, 'invalid_request_error');
        return;
      }
      const tokens = countTokens(input);
      if (tokens > MAX_TOKENS_PER_INPUT) {
        record(400);
        this.#error(
          res,
          400,
          `This model's maximum context length is ${MAX_TOKENS_PER_INPUT} tokens, however you requested ${tokens} tokens.`,
          null,
          'invalid_request_error',
        );
        return;
      }
      total += tokens;
    }
    if (total > MAX_TOKENS_PER_REQUEST) {
      record(400);
      this.#error(
        res,
        400,
        `Requested ${total} tokens, max ${MAX_TOKENS_PER_REQUEST} tokens per request.`,
        'max_tokens_per_request',
        'invalid_request_error',
      );
      return;
    }
    const dimensions =
      typeof body.dimensions === 'number' ? body.dimensions : (this.#options.defaultDimensions ?? 1536);
    const base64 = body.encoding_format === 'base64';
    const data = (inputs as string[]).map((input, index) => {
      this.textCounts.set(`${model}\0${input}`, (this.textCounts.get(`${model}\0${input}`) ?? 0) + 1);
      const vector = fakeVector(input, model, dimensions);
      return {
        object: 'embedding',
        index,
        embedding: base64 ? Buffer.from(vector.buffer).toString('base64') : Array.from(vector),
      };
    });
    record(200);
    this.#json(res, 200, { object: 'list', data, model, usage: { prompt_tokens: total, total_tokens: total } });
  }

  #error(res: ServerResponse, status: number, message: string, code: string | null, type: string): void {
    this.#json(res, status, { error: { message, type, param: null, code } });
  }

  #json(res: ServerResponse, status: number, body: unknown): void {
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json', 'x-request-id': `req_${this.requests.length}` });
    res.end(JSON.stringify(body));
  }
}
