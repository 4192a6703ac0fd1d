// Application code: enqueue the thumbnail task and wait for its typed result.
// Usage: node dist/enqueue.js URL WIDTH (REDIS_URL and LANES_PREFIX from the environment).
import { LanesClient } from '@lanes/client';
import { thumbnail, type Thumbnail } from './contracts.ts';

const [url = '', width = ''] = process.argv.slice(2);
const lanes = new LanesClient({ redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', prefix: process.env.LANES_PREFIX ?? 'lanes' });
try {
  const job = await lanes.enqueue(thumbnail, { url, width: Number(width) });
  const result: Thumbnail = await job.wait({ timeoutMs: 30_000 });
  const status = await lanes.status(job.id);
  process.stdout.write(`${JSON.stringify({ id: job.id, bytes: result.bytes, width: result.width, state: status.state, node: process.version })}\n`);
} finally {
  await lanes.close();
}
