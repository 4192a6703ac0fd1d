import { LanesError } from '@lanes/contracts';
import { EXIT_FAILED, EXIT_USAGE } from '../command.ts';

/** Error codes that mean the input was wrong (usage, configuration, payload, task name, task module, a migration that cannot be). */
const INVALID_INPUT_CODES: ReadonlySet<string> = new Set([
  'USAGE',
  'INVALID_CONFIG',
  'INVALID_PAYLOAD',
  'INVALID_OPTIONS',
  'UNKNOWN_TASK',
  'TASK_MODULE',
  'INVALID_MIGRATION',
]);

/** Invalid input exits 2; anything else 1. */
export function exitCodeFor(error: unknown): number {
  return error instanceof LanesError && INVALID_INPUT_CODES.has(error.code) ? EXIT_USAGE : EXIT_FAILED;
}
