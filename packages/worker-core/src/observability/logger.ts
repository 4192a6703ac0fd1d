import { pino, type Logger } from 'pino';
import { REDACTED, redact, redactString } from '@lanes/contracts';
import type { LogLevel } from '../config/runtime-config.ts';

export type { Logger } from 'pino';

/** Keys whose values never reach a log line, wherever they appear. */
const REDACTED_PATHS = [
  'password',
  'apiKey',
  'token',
  'authorization',
  '*.password',
  '*.apiKey',
  '*.token',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
];

/**
 * One JSON object per line on stderr, so stdout stays free for `--json` output. Secrets are
 * masked by key (REDACTED_PATHS) and inside every string, messages and errors included.
 */
export function createLogger(level: LogLevel = 'info', bindings: Record<string, unknown> = {}): Logger {
  return pino(
    {
      level,
      base: { pid: process.pid, ...bindings },
      redact: { paths: REDACTED_PATHS, censor: REDACTED },
      formatters: { log: (object) => redact(object) as Record<string, unknown> },
      hooks: {
        logMethod(args, method) {
          method.apply(
            this,
            args.map((arg) => (typeof arg === 'string' ? redactString(arg) : arg)) as Parameters<typeof method>,
          );
        },
      },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    pino.destination({ dest: 2, sync: false }),
  );
}
