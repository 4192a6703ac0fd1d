import { DependencyUnavailableError } from './dependency-faults.ts';
import * as errorClasses from './errors.ts';
import { LanesError } from './errors.ts';

/** A Lanes error as it crosses a thread or process boundary (structured-cloneable, JSON). */
export interface SerializedError {
  readonly code: string;
  readonly message: string;
  readonly context: Readonly<Record<string, unknown>>;
}

/** An error class that declares its code once, as `static code`. */
export interface CodedErrorClass {
  readonly code: string;
  readonly name: string;
  readonly prototype: LanesError;
}

function isCodedErrorClass(value: unknown): value is CodedErrorClass {
  return (
    typeof value === 'function' &&
    value.prototype instanceof LanesError &&
    typeof (value as { code?: unknown }).code === 'string'
  );
}

/** Error code → class, for every error that may end a job or leave a thread: each class of errors.ts with a code. */
const candidates: readonly unknown[] = [...Object.values(errorClasses), DependencyUnavailableError];
export const ERROR_CLASSES: ReadonlyMap<string, CodedErrorClass> = new Map(
  candidates.filter(isCodedErrorClass).map((type) => [type.code, type]),
);

/** Any thrown value as `{ code, message, context }`; what is no Lanes error gets `fallbackCode`. */
export function serializeError(error: unknown, fallbackCode: string): SerializedError {
  if (error instanceof LanesError) return { code: error.code, message: error.message, context: error.context };
  return { code: fallbackCode, message: error instanceof Error ? error.message : String(error), context: {} };
}

export function isSerializedError(value: unknown): value is SerializedError {
  if (typeof value !== 'object' || value === null) return false;
  const { code, message, context } = value as Record<string, unknown>;
  return typeof code === 'string' && typeof message === 'string' && typeof context === 'object' && context !== null;
}

/**
 * The error of the class its code names (a plain LanesError for codes not registered), with
 * the same message and context. Built without its constructor, whose arguments are not kept:
 * the registered classes hold all their data in message and context.
 */
export function rebuildError(serialized: SerializedError): LanesError {
  const type = ERROR_CLASSES.get(serialized.code) ?? LanesError;
  const error = Object.create(type.prototype) as LanesError;
  Object.defineProperties(error, {
    name: { value: type.name, writable: true, configurable: true },
    message: { value: serialized.message, writable: true, configurable: true },
    code: { value: serialized.code, enumerable: true },
    context: { value: serialized.context, enumerable: true },
  });
  Error.captureStackTrace(error, rebuildError);
  return error;
}
