import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { LanesError } from '@lanes/contracts';
import type { TaskDefinition } from '@lanes/worker-core';

function isTaskDefinition(value: unknown): value is TaskDefinition {
  return typeof value === 'object' && value !== null && 'name' in value && 'lane' in value && 'schema' in value && typeof (value as { handler?: unknown }).handler === 'function';
}

/**
 * Loads user task modules (`--tasks a.ts,b.ts` or LANES_TASKS): every exported TaskDefinition,
 * directly or inside an exported array, is registered.
 */
export async function loadTaskModules(paths: readonly string[]): Promise<TaskDefinition[]> {
  const tasks: TaskDefinition[] = [];
  for (const path of paths) {
    let module: Record<string, unknown>;
    try {
      module = (await import(pathToFileURL(resolve(path)).href)) as Record<string, unknown>;
    } catch (error) {
      throw new LanesError('TASK_MODULE', `cannot load task module ${path}: ${error instanceof Error ? error.message : String(error)}`, { path });
    }
    for (const value of Object.values(module)) {
      for (const candidate of Array.isArray(value) ? value : [value]) {
        if (isTaskDefinition(candidate) && !tasks.includes(candidate)) tasks.push(candidate);
      }
    }
  }
  return tasks;
}

export function taskModulePaths(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = flag ?? env.LANES_TASKS ?? '';
  return raw.split(',').map((p) => p.trim()).filter((p) => p !== '');
}
