import { Router } from 'express';
import {
  builtinContracts,
  ContractRegistry,
  LANES,
  parsePayload,
  z,
  type FieldIssue,
  type JobState,
  definedOnly,
} from '@lanes/contracts';
import { enqueueOptionsSchema } from '@lanes/queue';
import type { LanesClient } from '@lanes/client';
import { badRequest, HttpError, notFound } from '../errors.ts';
import { findJobs, MAX_LIMIT, type JobQuery } from '../job-finder.ts';
import { findJobById } from '../job-view.ts';
import { withTimeout } from '../lane-redis.ts';
import type { PathGuard } from '../options.ts';
import { defaultPathGuard } from '../path-guard.ts';

const MAX_ID_LENGTH = 256;

/** The envelope of POST /api/jobs; `data` is checked afterwards against the task's own contract. */
const enqueueBodySchema = z
  .object({
    task: z.string().min(1, 'must name a task'),
    data: z.unknown().optional(),
    options: enqueueOptionsSchema.optional(),
  })
  .strict();

/** Every state of the `status` shape but `unknown`, which no stored job is in. */
const FILTER_STATES = ['waiting', 'delayed', 'active', 'completed', 'failed'] as const satisfies readonly Exclude<
  JobState,
  'unknown'
>[];

const jobQuerySchema = z
  .object({
    id: z.string().min(1).max(MAX_ID_LENGTH).optional(),
    task: z.string().min(1).max(200).optional(),
    state: z.enum(FILTER_STATES).optional(),
    source: z.string().min(1).max(1000).optional(),
    lane: z.enum(LANES).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(50),
  })
  .strict();

/** Zod issues as `{ field, message }`, with an optional prefix so nested fields read as the client sent them. */
export function fieldIssues(error: z.ZodError, root = '(body)'): FieldIssue[] {
  return error.issues.flatMap((issue) => {
    const path = issue.path.map(String);
    // An unknown key is reported on its parent; name the key itself, which is what was wrong.
    if (issue.code === 'unrecognized_keys')
      return issue.keys.map((key) => ({ field: [...path, key].join('.'), message: 'is not a known field' }));
    return [{ field: path.length > 0 ? path.join('.') : root, message: issue.message }];
  });
}

/** Query strings repeat keys (`?task=a&task=b`) or leave them empty; both are refused or ignored explicitly. */
function singleValues(query: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(query)) if (value !== '') out[key] = value;
  return out;
}

export interface JobRoutesOptions {
  readonly client: LanesClient;
  readonly contracts?: ContractRegistry;
  readonly allowedRoots: readonly string[];
  readonly assertPath?: PathGuard;
  readonly storeTimeoutMs: number;
}

/** `POST /api/jobs`, `GET /api/jobs` (find) and `GET /api/jobs/:id` (status). */
export function jobRoutes(options: JobRoutesOptions): Router {
  const { client, allowedRoots, storeTimeoutMs } = options;
  const bounded = <T>(promise: Promise<T>): Promise<T> => withTimeout(promise, storeTimeoutMs, 'redis');
  const contracts = options.contracts ?? new ContractRegistry(builtinContracts);
  const guard = options.assertPath ?? defaultPathGuard;
  const router = Router();

  /**
   * Ingest paths name files on the server: they must lie under an allowed root (CONTRACT.md),
   * here and again where the worker opens them (`confined`). A path's document is named by
   * the path, so one request cannot overwrite another document by naming its source.
   */
  async function guardedData(task: string, data: unknown): Promise<unknown> {
    if (task !== 'ingest' || typeof data !== 'object' || data === null) return data;
    const path = (data as Record<string, unknown>).path;
    if (typeof path !== 'string') return data;
    if ((data as Record<string, unknown>).source !== undefined) {
      const message = 'cannot be given with "path" over HTTP: a file is named by its path';
      throw badRequest(`invalid payload: data.source ${message}`, [{ field: 'data.source', message }]);
    }
    let resolved: string | undefined;
    try {
      resolved = await guard(path, allowedRoots);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw badRequest(`path not allowed: ${message}`, [{ field: 'data.path', message }]);
    }
    return { ...data, ...(typeof resolved === 'string' && { path: resolved }), confined: true };
  }

  router.post('/api/jobs', async (req, res) => {
    if (!req.is('application/json')) {
      // JSON only: a cross-site <form> cannot send it without a CORS preflight, so a browser
      // holding Basic credentials cannot be tricked into enqueueing work.
      throw new HttpError(415, 'send the body as application/json', { code: 'UNSUPPORTED_MEDIA_TYPE' });
    }
    const parsed = enqueueBodySchema.safeParse(req.body);
    if (!parsed.success) throw badRequest('invalid request body', fieldIssues(parsed.error));
    const { task, options: enqueueOptions } = parsed.data;
    const contract = contracts.get(task);
    const data = parsed.data.data ?? {};
    // Validated here first so the path guard only ever sees a well-formed payload.
    parsePayload(contract, data);
    const payload = await guardedData(contract.name, data);
    const handle = await bounded(client.enqueue(contract, payload, enqueueOptions));
    res
      .status(202)
      .location(`/api/jobs/${encodeURIComponent(handle.id)}`)
      .json({ id: handle.id, task: handle.task, queue: handle.queue });
  });

  router.get('/api/jobs', async (req, res) => {
    const parsed = jobQuerySchema.safeParse(singleValues(req.query as Record<string, unknown>));
    if (!parsed.success) throw badRequest('invalid query', fieldIssues(parsed.error, '(query)'));
    const q = parsed.data;
    const query: JobQuery = {
      limit: q.limit,
      ...definedOnly({ id: q.id }),
      ...definedOnly({ task: q.task }),
      ...definedOnly({ state: q.state }),
      ...definedOnly({ source: q.source }),
      ...definedOnly({ lane: q.lane }),
    };
    res.set('cache-control', 'no-store').json(await bounded(findJobs(client, query)));
  });

  router.get('/api/jobs/:id', async (req, res) => {
    const id = req.params.id;
    if (id.length > MAX_ID_LENGTH)
      throw badRequest('job id too long', [{ field: 'id', message: `must be at most ${MAX_ID_LENGTH} characters` }]);
    const view = await bounded(findJobById(client, id));
    if (view === null) throw notFound(`job ${id} not found`);
    res.set('cache-control', 'no-store').json(view);
  });

  return router;
}
