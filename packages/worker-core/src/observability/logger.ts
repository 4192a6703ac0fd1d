import { pino, type Logger } from 'pino';
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

/** One JSON object per line on stderr, so stdout stays free for `--json` output. */
export function createLogger(level: LogLevel = 'info', bindings: Record<string, unknown> = {}): Logger {
  return pino(
    { level, base: { pid: process.pid, ...bindings }, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, timestamp: pino.stdTimeFunctions.isoTime },
    pino.destination({ dest: 2, sync: false }),
  );
}
