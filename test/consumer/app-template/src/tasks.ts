// What `lanes worker --tasks` loads: the contracts implemented, and a task defined in one step.
// Relative imports name the .ts file, so Node runs this file as it is and tsc rewrites them.
import { z } from '@lanes/contracts';
import { defineTask, implement } from '@lanes/worker-core';
import { greet, thumbnail } from './contracts.ts';

export const greetTask = implement(greet, async ({ name, times }, ctx) => {
  await ctx.progress({ stage: 'greeting' });
  ctx.logger.info({ name }, 'greeting');
  return { greeting: Array(times).fill(`hello ${name}`).join(', ') };
});

export const thumbnailTask = implement(thumbnail, async ({ url, width }, ctx) => {
  await ctx.progress({ stage: 'fetching' });
  const image = await fetch(url, { signal: ctx.signal });
  ctx.logger.info({ width }, 'resizing');
  return { bytes: (await image.arrayBuffer()).byteLength, width };
});

export const runtime = defineTask({
  name: 'runtime',
  lane: 'critical',
  schema: z.object({}),
  handler: async () => ({ node: process.version }),
});
