import { asDependencyError, LANES, redactString } from '@lanes/contracts';
import type { LanesClient } from '@lanes/client';
import { RepeatedErrorLog, type Logger } from '@lanes/worker-core';

/**
 * A BullMQ Queue with no 'error' listener prints every connection error with its stack to
 * stderr (outside the JSON log), once per reconnect attempt while Redis is down. Listening
 * turns that into one warning naming Redis, repeats counted once per window; /readyz reports
 * the outage itself.
 */
export function logQueueErrors(client: LanesClient, logger: Logger): void {
  const log = new RepeatedErrorLog(logger);
  for (const lane of LANES) {
    client.queues.get(lane).on('error', (error: Error) => {
      const named = asDependencyError(error, 'redis', { url: client.redisUrl });
      log.report(
        'warn',
        { lane, err: { message: redactString(named instanceof Error ? named.message : String(named)) } },
        'queue connection error',
      );
    });
  }
}
