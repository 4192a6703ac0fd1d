// Application code: enqueue through the client, typed end to end.
// Usage: node dist/app.js URL WIDTH (REDIS_URL and LANES_PREFIX from the environment).
import { LanesClient } from '@lanes/client';
import { greet, thumbnail, type Thumbnail } from './contracts.ts';

const [url = '', width = ''] = process.argv.slice(2);
const lanes = new LanesClient({
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  prefix: process.env.LANES_PREFIX ?? 'lanes',
});
try {
  const job = await lanes.enqueue(greet, { name: 'Ada' }, { idempotencyKey: 'greet-ada' });
  const { greeting } = await job.wait({ timeoutMs: 30_000 });
  const picture = await lanes.enqueue(thumbnail, { url, width: Number(width) });
  const result: Thumbnail = await picture.wait({ timeoutMs: 30_000 });
  const status = await lanes.status(picture.id);
  process.stdout.write(
    `${JSON.stringify({ greeting, bytes: result.bytes, width: result.width, state: status.state })}\n`,
  );
} finally {
  await lanes.close();
}
