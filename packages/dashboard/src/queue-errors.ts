import { LANES, redactString } from '@lanes/contracts';
import type { LanesClient } from '@lanes/client';
import type { Logger } from '@lanes/worker-core';

const QUIET_MS = 30_000;

/**
 * A BullMQ Queue with no 'error' listener prints every connection error with its stack to
 * stderr (outside the JSON log), once per reconnect attempt while Redis is down. Listening
 * turns that into one warning per lane per 30 s; /readyz reports the outage itself.
 */
export function logQueueErrors(client: LanesClient, logger: Logger): void {
  for (const lane of LANES) {
    let lastLogged = 0;
    client.queues.get(lane).on('error', (error: Error) => {
      const now = Date.now();
      if (now - lastLogged < QUIET_MS) return;
      lastLogged = now;
      logger.warn({ lane, err: { message: redactString(error.message) } }, 'queue connection error');
    });
  }
}
