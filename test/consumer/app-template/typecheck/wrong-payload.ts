// Must not compile: a name that is a number, and a field the contract does not have.
import { LanesClient } from '@lanes/client';
import { greet, thumbnail } from '../src/contracts.ts';

const lanes = new LanesClient({ redisUrl: 'redis://127.0.0.1:6379' });
await lanes.enqueue(greet, { name: 42 });
await lanes.enqueue(thumbnail, { url: 'https://example.org/a.png', width: 256, height: 256 });
