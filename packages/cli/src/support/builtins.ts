import type { RuntimeConfig, TaskDefinition } from '@lanes/worker-core';

/** The built-in RAG tasks with what they need at run time; loaded only by commands that run them. */
export interface BuiltinRuntime {
  readonly tasks: readonly TaskDefinition[];
  readonly readinessChecks: ReadonlyArray<{ name: string; check: () => Promise<void> }>;
  close(): Promise<void>;
}

export async function loadBuiltins(config: RuntimeConfig): Promise<BuiltinRuntime> {
  const { createRagRuntime } = await import('@lanes/tasks');
  return createRagRuntime({ runtime: config });
}
