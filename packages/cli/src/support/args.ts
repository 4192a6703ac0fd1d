import { parseArgs, type ParseArgsConfig } from 'node:util';
import { readFile } from 'node:fs/promises';
import { LanesError } from '@lanes/contracts';

/** Bad usage or invalid input: exit code 2, message names the field or flag. */
export class UsageError extends LanesError {
  constructor(message: string) {
    super('USAGE', message);
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

export function parseCommandArgs<O extends Options>(argv: readonly string[], options: O, allowPositionals = true) {
  try {
    return parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean' }, json: { type: 'boolean' } },
      allowPositionals,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

export function positiveInt(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < 1) throw new UsageError(`${flag} must be a positive integer, got "${raw}"`);
  return Number(raw);
}

/** The flag's positive integer when it was given, else undefined. */
export function optionalPositiveInt(flag: string, raw: string | undefined): number | undefined {
  return raw === undefined ? undefined : positiveInt(flag, raw, 1);
}

/** `--data '{"a":1}'` or `--data @file.json`. */
export async function readJsonArgument(flag: string, raw: string | undefined): Promise<unknown> {
  if (raw === undefined) throw new UsageError(`${flag} is required`);
  const text = raw.startsWith('@')
    ? await readFile(raw.slice(1), 'utf8').catch(() => {
        throw new UsageError(`${flag}: cannot read ${raw.slice(1)}`);
      })
    : raw;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${flag} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}
