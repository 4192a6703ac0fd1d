/** One `lanes` sub-command. `run` returns the process exit code (CONTRACT.md: 0 ok, 1 failed, 2 bad usage). */
export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  /** Full `--help` text. */
  readonly usage: string;
  run(argv: readonly string[]): Promise<number>;
}

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;
