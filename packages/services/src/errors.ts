import { LanesError } from '@lanes/contracts';

/** A failure of `lanes services`, carrying one line that names what failed. */
export class ServicesError extends LanesError {
  constructor(message: string) {
    super('SERVICES_FAILED', message);
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
