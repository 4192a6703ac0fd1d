/**
 * Progress output for `lanes services`. Everything goes to stderr; stdout is reserved for the
 * command's result. `quiet` hides the "nothing to do" chatter but never actions or warnings.
 */
export interface ServicesLog {
  /** Something we are doing (installing, starting, creating): always shown. */
  action(message: string): void;
  /** Something we found already in place: hidden when quiet. */
  info(message: string): void;
  /** Something the user should know about: always shown. */
  warn(message: string): void;
}

export function createLog(options: { quiet: boolean; write?: (line: string) => void }): ServicesLog {
  const write = options.write ?? ((line: string) => void process.stderr.write(`${line}\n`));
  return {
    action: (message) => write(`[lanes] ${message}`),
    info: (message) => {
      if (!options.quiet) write(`[lanes] ${message}`);
    },
    warn: (message) => write(`[lanes] warning: ${message}`),
  };
}
