// The worker side: the contract implemented, plus a task defined in one go.
import { z } from '@lanes/contracts';
import { defineTask, implement } from '@lanes/worker-core';
import { thumbnail } from './contracts.ts';

export const thumbnailTask = implement(thumbnail, async ({ url, width }, ctx) => {
  await ctx.progress({ stage: 'fetching' });
  const image = await fetch(url, { signal: ctx.signal });
  ctx.logger.info({ width }, 'resizing');
  return { bytes: (await image.arrayBuffer()).byteLength, width };
});

export const greet = defineTask({
  name: 'greet',
  lane: 'critical',
  schema: z.object({ name: z.string().min(1) }),
  handler: async ({ name }) => ({ greeting: `hello, ${name}`, node: process.version }),
});
