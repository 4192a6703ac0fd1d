import { LanesError } from '@lanes/contracts';

/** A migration that cannot be started, rolled back or dropped as asked (bad input: exit 2). */
export class InvalidMigrationError extends LanesError {
  constructor(message: string, context: Record<string, unknown> = {}) {
    super('INVALID_MIGRATION', message, context);
  }
}

/** A space id that no longer names a vector table (dropped with --drop-old meanwhile). */
export class UnknownSpaceError extends LanesError {
  constructor(spaceId: number) {
    super('UNKNOWN_SPACE', `embedding space ${spaceId} does not exist (dropped?)`, { spaceId });
  }
}

/** Ingests kept adding texts faster than the final sweeps embedded them: the attempt fails and is retried. */
export class CutOverOutrunError extends LanesError {
  constructor(attempts: number) {
    super('CUT_OVER_OUTRUN', `ingests kept adding texts faster than ${attempts} sweeps embedded them; the migration retries`, { attempts });
  }
}
