/** A failure of `lanes services`, carrying one line that names what failed. */
export class ServicesError extends Error {
  override readonly name = 'ServicesError';
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
