// A second task module that defines "greet" again: a worker given both must refuse to start.
import { z } from '@lanes/contracts';
import { defineTask } from '@lanes/worker-core';

export const greetAgain = defineTask({
  name: 'greet',
  lane: 'default',
  schema: z.object({ name: z.string() }),
  handler: async ({ name }) => ({ greeting: `hi, ${name}` }),
});
