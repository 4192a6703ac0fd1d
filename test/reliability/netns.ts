// A private network for the partition test: Redis in a network namespace of its own, each
// worker in another, joined by veth pairs to a bridge inside Redis' namespace. Every address
// lives inside these namespaces (10.231.0.0/24 there); the test process itself reaches Redis
// over a Unix socket, which no network namespace confines. `cut` takes a worker's link down:
// its TCP connections neither fail nor answer, as in a real partition; `heal` brings it back.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { tempDir } from '../support/servers.ts';
import { sleep } from '../support/env.ts';

const exec = promisify(execFile);

async function ip(...args: string[]): Promise<string> {
  return (await exec('ip', args)).stdout;
}

/** Why `ip netns` cannot be used here, or undefined when it can. */
export async function netnsUnavailable(): Promise<string | undefined> {
  const probe = `lanes-probe-${randomBytes(3).toString('hex')}`;
  try {
    await ip('netns', 'add', probe);
    await ip('netns', 'del', probe);
    return undefined;
  } catch (error) {
    return `ip netns is not permitted here: ${(error as Error).message.split('\n')[0]}`;
  }
}

export interface LabWorker {
  readonly netns: string;
  readonly address: string;
  /** Takes the worker's only link down: a partition, the process keeps running. */
  cut(): Promise<void>;
  heal(): Promise<void>;
}

export class NetLab {
  readonly redisAddress = '10.231.0.1';
  readonly redisPort = 6379;
  readonly socket: string;
  readonly workers: LabWorker[] = [];
  readonly #id = randomBytes(2).toString('hex');
  readonly #dir = tempDir('netns');
  readonly #namespaces: string[] = [];
  #redis: ChildProcess | undefined;

  private constructor() {
    this.socket = join(this.#dir, 'redis.sock');
  }

  get redisUrl(): string {
    return `redis://${this.redisAddress}:${this.redisPort}`;
  }

  static async create(workers: number): Promise<NetLab> {
    const lab = new NetLab();
    try {
      await lab.#build(workers);
      return lab;
    } catch (error) {
      await lab.dispose();
      throw error;
    }
  }

  async #build(workers: number): Promise<void> {
    const hub = `lanes-r-${this.#id}`;
    await this.#addNamespace(hub);
    const inHub = (...args: string[]): Promise<string> => ip('-n', hub, ...args);
    await inHub('link', 'add', 'br0', 'type', 'bridge');
    await inHub('addr', 'add', `${this.redisAddress}/24`, 'dev', 'br0');
    await inHub('link', 'set', 'br0', 'up');
    for (let i = 1; i <= workers; i++) {
      const netns = `lanes-w${i}-${this.#id}`;
      await this.#addNamespace(netns);
      const address = `10.231.0.${10 + i}`;
      const link = `w${i}-${this.#id}`;
      await ip('link', 'add', link, 'netns', netns, 'type', 'veth', 'peer', 'name', `h${i}-${this.#id}`, 'netns', hub);
      await inHub('link', 'set', `h${i}-${this.#id}`, 'master', 'br0', 'up');
      await ip('-n', netns, 'addr', 'add', `${address}/24`, 'dev', link);
      await ip('-n', netns, 'link', 'set', link, 'up');
      this.workers.push({
        netns,
        address,
        cut: async () => void (await ip('-n', netns, 'link', 'set', link, 'down')),
        heal: async () => void (await ip('-n', netns, 'link', 'set', link, 'up')),
      });
    }
    this.#redis = spawn(
      'ip',
      [
        'netns',
        'exec',
        hub,
        'redis-server',
        '--bind',
        this.redisAddress,
        '--port',
        String(this.redisPort),
        '--unixsocket',
        this.socket,
        '--unixsocketperm',
        '700',
        // Reachable only inside the lab's namespaces: no password needed.
        '--protected-mode',
        'no',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.#dir,
        '--maxmemory-policy',
        'noeviction',
      ],
      { stdio: 'ignore' },
    );
    for (let i = 0; i < 100; i++) {
      try {
        if ((await exec('redis-cli', ['-s', this.socket, 'ping'])).stdout.trim() === 'PONG') return;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    throw new Error('redis-server did not start in its namespace');
  }

  async #addNamespace(name: string): Promise<void> {
    await ip('netns', 'add', name);
    this.#namespaces.push(name);
    await ip('-n', name, 'link', 'set', 'lo', 'up');
  }

  /** Stops Redis and deletes the namespaces (their links go with them). Stop processes inside first. */
  async dispose(): Promise<void> {
    if (this.#redis !== undefined && this.#redis.exitCode === null) {
      const exited = new Promise((resolve) => this.#redis!.once('exit', resolve));
      this.#redis.kill('SIGKILL');
      await exited;
    }
    for (const name of this.#namespaces.reverse()) await ip('netns', 'del', name).catch(() => undefined);
    await exec('rm', ['-rf', this.#dir]).catch(() => undefined);
  }
}
