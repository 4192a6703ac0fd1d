import { ConfigError, InvalidPayloadError, UnknownTaskError } from '@lanes/contracts';
import { EXIT_FAILED, EXIT_USAGE } from '../command.ts';
import { UsageError } from './args.ts';

/** Invalid input (usage, configuration, payload, task name) exits 2; anything else 1. */
export function exitCodeFor(error: unknown): number {
  const invalidInput = error instanceof UsageError || error instanceof ConfigError || error instanceof InvalidPayloadError || error instanceof UnknownTaskError;
  return invalidInput ? EXIT_USAGE : EXIT_FAILED;
}
