import { Queue, type Telemetry } from 'bullmq';
import type { Redis } from 'ioredis';
import { LANES, type Lane, definedOnly } from '@lanes/contracts';

/** One BullMQ Queue per lane, created lazily, sharing one connection. */
export class LaneQueues {
  readonly prefix: string;
  readonly #connection: Redis;
  readonly #telemetry: Telemetry | undefined;
  readonly #queues = new Map<Lane, Queue>();

  constructor(connection: Redis, prefix: string, telemetry?: Telemetry) {
    this.#connection = connection;
    this.prefix = prefix;
    this.#telemetry = telemetry;
  }

  get(lane: Lane): Queue {
    let queue = this.#queues.get(lane);
    if (queue === undefined) {
      // Producers fail fast: with Redis down, an enqueue errors instead of waiting for it.
      queue = new Queue(lane, {
        connection: this.#connection,
        prefix: this.prefix,
        skipWaitingForReady: true,
        ...definedOnly({ telemetry: this.#telemetry }),
      });
      // Failures reach callers as rejected commands; unlistened, BullMQ would also print each
      // failed reconnect to stderr.
      queue.on('error', () => undefined);
      // Each concurrent wait() listens on the queue too: no fixed listener ceiling.
      queue.setMaxListeners(0);
      this.#queues.set(lane, queue);
    }
    return queue;
  }

  all(): Queue[] {
    return LANES.map((lane) => this.get(lane));
  }

  /** The key BullMQ uses to name a lane's queue in parent links: `{prefix}:lane`. */
  queueKey(lane: Lane): string {
    return `${this.prefix}:${lane}`;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#queues.values()].map((queue) => queue.close()));
    this.#queues.clear();
  }
}
