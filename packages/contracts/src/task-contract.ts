import type { z } from 'zod';
import { InvalidPayloadError, type FieldIssue } from './errors.ts';
import type { Lane } from './lanes.ts';
import { definedOnly } from './defined.ts';

export interface RetryPolicy {
  /** Total attempts, first one included. */
  readonly attempts: number;
  /** First retry delay; doubles every attempt. */
  readonly backoffMs: number;
  /** 0..1: share of each delay that is randomised, so retries of a burst spread out. */
  readonly jitter: number;
}

export interface RateLimit {
  /** At most `max` starts of this task per `perMs`, shared by every worker on every machine. */
  readonly max: number;
  readonly perMs: number;
}

/**
 * A task as data: what the client needs to enqueue it and what the worker needs to run it,
 * minus the handler. Light on purpose (zod only), so application code can import it.
 */
export interface TaskContract<Name extends string = string, Schema extends z.ZodType = z.ZodType, Result = unknown> {
  readonly name: Name;
  readonly lane: Lane;
  readonly schema: Schema;
  readonly retry: RetryPolicy;
  /** Per-attempt deadline; the attempt's AbortSignal fires and the attempt fails at this point. */
  readonly timeoutMs: number;
  /** Most jobs of this task one worker process runs at once. */
  readonly concurrency?: number;
  readonly rateLimit?: RateLimit;
  /** Type-only marker carrying the result type; never set at run time. */
  readonly __result?: Result;
}

// eslint-free `any` alternative for "some contract": schema and result are unknown.
export type AnyTaskContract = TaskContract<string, z.ZodType, unknown>;
export type PayloadOf<C extends AnyTaskContract> = z.input<C['schema']>;
export type ParsedPayloadOf<C extends AnyTaskContract> = z.output<C['schema']>;
export type ResultOf<C extends AnyTaskContract> = C extends TaskContract<string, z.ZodType, infer R> ? R : never;

export const DEFAULT_RETRY: RetryPolicy = { attempts: 3, backoffMs: 1000, jitter: 0.5 };
export const DEFAULT_TIMEOUT_MS = 5 * 60_000;

export interface ContractSpec<Name extends string, Schema extends z.ZodType> {
  name: Name;
  lane: Lane;
  schema: Schema;
  retry?: Partial<RetryPolicy>;
  timeoutMs?: number;
  concurrency?: number;
  rateLimit?: RateLimit;
}

/**
 * Declares a contract. The result type is given explicitly, curried so the other
 * parameters stay inferred: `defineContract<IngestResult>()({ name: 'ingest', ... })`.
 */
export function defineContract<Result = unknown>() {
  return <const Name extends string, Schema extends z.ZodType>(
    spec: ContractSpec<Name, Schema>,
  ): TaskContract<Name, Schema, Result> => {
    if (!/^[a-z][a-z0-9-]*$/.test(spec.name)) {
      throw new TypeError(`task name "${spec.name}" must be lower-case letters, digits and dashes`);
    }
    const retry = { ...DEFAULT_RETRY, ...spec.retry };
    if (!Number.isInteger(retry.attempts) || retry.attempts < 1)
      throw new TypeError(`task "${spec.name}": retry.attempts must be >= 1`);
    if (retry.jitter < 0 || retry.jitter > 1) throw new TypeError(`task "${spec.name}": retry.jitter must lie in 0..1`);
    return Object.freeze({
      name: spec.name,
      lane: spec.lane,
      schema: spec.schema,
      retry: Object.freeze(retry),
      timeoutMs: spec.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...definedOnly({ concurrency: spec.concurrency }),
      ...definedOnly({ rateLimit: spec.rateLimit }),
    });
  };
}

function fieldName(path: readonly PropertyKey[], root: string): string {
  return path.length > 0 ? [...(root === '(payload)' ? [] : [root]), ...path.map(String)].join('.') : root;
}

/**
 * One issue per bad field, named by its dotted path under `root` (`options.tenant`); an unknown
 * key is named itself, not its parent object.
 */
export function toFieldIssues(error: z.ZodError, root = '(payload)'): FieldIssue[] {
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({ field: fieldName([...issue.path, key], root), message: 'is not a known field' }))
      : [{ field: fieldName(issue.path, root), message: issue.message }],
  );
}

/**
 * Deepest nesting of objects and arrays a payload may have. Schemas and serialisers recurse,
 * so 5,000 nested arrays overflowed the stack; no real payload comes close.
 */
export const MAX_PAYLOAD_DEPTH = 64;

/** Measured without recursion, so any depth is safe to look at. */
function nestedDeeperThan(value: unknown, max: number): boolean {
  if (isFlat(value)) return false;
  const pending: Array<{ value: unknown; depth: number }> = [{ value, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (typeof next.value !== 'object' || next.value === null) continue;
    if (next.depth >= max) return true;
    for (const inner of Object.values(next.value)) pending.push({ value: inner, depth: next.depth + 1 });
  }
  return false;
}

/** A scalar, or an object or array holding only scalars: most payloads, checked without allocating. */
function isFlat(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  for (const key in value) {
    const inner = (value as Record<string, unknown>)[key];
    if (typeof inner === 'object' && inner !== null) return false;
  }
  return true;
}

/** Validates a payload against its contract; throws InvalidPayloadError naming each bad field. */
export function parsePayload<C extends AnyTaskContract>(contract: C, payload: unknown): ParsedPayloadOf<C> {
  if (nestedDeeperThan(payload, MAX_PAYLOAD_DEPTH)) {
    throw new InvalidPayloadError(contract.name, [
      { field: '(payload)', message: `is nested deeper than ${MAX_PAYLOAD_DEPTH} levels` },
    ]);
  }
  const result = contract.schema.safeParse(payload);
  if (!result.success) throw new InvalidPayloadError(contract.name, toFieldIssues(result.error));
  return result.data as ParsedPayloadOf<C>;
}
