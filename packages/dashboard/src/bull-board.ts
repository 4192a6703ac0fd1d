import type { Router } from 'express';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { LANES, redact } from '@lanes/contracts';
import type { LanesClient } from '@lanes/client';

export const BULL_BOARD_PATH = '/admin/queues';

/**
 * Bull Board over the three lanes. Job data, results and progress pass through the same
 * redaction as the API, so a payload's apiKey or password never reaches the page.
 */
export function bullBoardRouter(client: LanesClient, readOnly: boolean): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(BULL_BOARD_PATH);
  const queues = LANES.map((lane) => {
    const adapter = new BullMQAdapter(client.queues.get(lane), {
      readOnlyMode: readOnly,
      allowRetries: !readOnly,
      description: `${lane} lane`,
    });
    adapter.setFormatter('data', (data: unknown) => redact(data));
    adapter.setFormatter('returnValue', (value: unknown) => redact(value));
    adapter.setFormatter('progress', (value: unknown) => redact(value));
    return adapter;
  });
  createBullBoard({
    queues,
    serverAdapter,
    options: {
      uiConfig: { boardTitle: 'Lanes', hideDocsLink: true, miscLinks: [{ text: 'Lanes overview', url: '/' }] },
    },
  });
  return serverAdapter.getRouter() as Router;
}
