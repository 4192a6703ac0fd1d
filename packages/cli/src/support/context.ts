import { builtinContracts, ContractRegistry, definedOnly } from '@lanes/contracts';
import { LanesClient } from '@lanes/client';
import { createTelemetry, loadRuntimeConfig, type RuntimeConfig } from '@lanes/worker-core';
import { loadTaskModules, taskModulePaths } from './task-modules.ts';

/** What most commands need: checked configuration, a client, and every known contract (built-in and `--tasks`). */
export interface CliContext {
  readonly config: RuntimeConfig;
  readonly client: LanesClient;
  readonly registry: ContractRegistry;
  close(): Promise<void>;
}

export async function openContext(tasksFlag?: string): Promise<CliContext> {
  const config = loadRuntimeConfig();
  const userTasks = (await loadTaskModules(taskModulePaths(tasksFlag))).map((loaded) => loaded.task);
  const registry = new ContractRegistry([...builtinContracts, ...userTasks]);
  const telemetry = createTelemetry(config);
  const client = new LanesClient({ redisUrl: config.redisUrl, prefix: config.prefix, ...definedOnly({ telemetry }) });
  return { config, client, registry, close: () => client.close() };
}

/** Runs `body` with a context and always closes it. */
export async function withContext<T>(tasksFlag: string | undefined, body: (ctx: CliContext) => Promise<T>): Promise<T> {
  const ctx = await openContext(tasksFlag);
  try {
    return await body(ctx);
  } finally {
    await ctx.close();
  }
}
