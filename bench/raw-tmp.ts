import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
const connection = new Redis('redis://127.0.0.1:6379', { maxRetriesPerRequest: null });
const workers = ['critical', 'default', 'low'].map(
  (q) => new Worker(q, async () => undefined, { connection, prefix: '{deps-raw}', concurrency: 8 }),
);
await Promise.all(workers.map((w) => w.waitUntilReady()));
await new Promise((r) => setTimeout(r, 8000));
const s = (await import('node:fs')).readFileSync('/proc/self/status', 'utf8');
console.log(s.match(/VmRSS:\s+\d+ kB/)?.[0], s.match(/VmHWM:\s+\d+ kB/)?.[0]);
process.exit(0);
