import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LanesError } from '@lanes/contracts';
import type { TaskDefinition } from '@lanes/worker-core';

/** A `--tasks` module that cannot serve: missing, failing to load, defining no task, or clashing. */
export class TaskModuleError extends LanesError {
  constructor(message: string, context: Record<string, unknown>) {
    super('TASK_MODULE', message, context);
  }
}

/** A task and the module that defined it, so a clash can name both files. */
export interface LoadedTask {
  readonly task: TaskDefinition;
  readonly origin: string;
}

function isTaskDefinition(value: unknown): value is TaskDefinition {
  return (
    typeof value === 'object' &&
    value !== null &&
    'name' in value &&
    'lane' in value &&
    'schema' in value &&
    typeof (value as { handler?: unknown }).handler === 'function'
  );
}

function exportedTasks(module: Record<string, unknown>): TaskDefinition[] {
  const found = Object.values(module)
    .flatMap((value) => (Array.isArray(value) ? value : [value]))
    .filter(isTaskDefinition);
  return [...new Set(found)];
}

async function importModule(path: string): Promise<Record<string, unknown>> {
  const absolute = resolve(path);
  if (!existsSync(absolute)) throw new TaskModuleError(`task module ${path} does not exist`, { path });
  try {
    return (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (error) {
    throw new TaskModuleError(
      `cannot load task module ${path}: ${error instanceof Error ? error.message : String(error)}`,
      { path },
    );
  }
}

/**
 * Every task the given modules and the already registered tasks (the built-ins, say) define, in
 * order; a name defined twice stops start-up naming both origins.
 */
export function mergeTasks(loaded: readonly LoadedTask[]): TaskDefinition[] {
  const byName = new Map<string, LoadedTask>();
  for (const entry of loaded) {
    const earlier = byName.get(entry.task.name);
    if (earlier !== undefined && earlier.task !== entry.task) {
      throw new TaskModuleError(
        `task "${entry.task.name}" is defined twice: in ${earlier.origin} and in ${entry.origin}`,
        {
          task: entry.task.name,
          origins: [earlier.origin, entry.origin],
        },
      );
    }
    byName.set(entry.task.name, entry);
  }
  return [...byName.values()].map((entry) => entry.task);
}

/**
 * Loads user task modules (`--tasks a.js,b.ts` or LANES_TASKS): every exported TaskDefinition,
 * directly or inside an exported array. A module that exports no task is refused.
 */
export async function loadTaskModules(paths: readonly string[]): Promise<LoadedTask[]> {
  const loaded: LoadedTask[] = [];
  for (const path of paths) {
    const tasks = exportedTasks(await importModule(path));
    if (tasks.length === 0)
      throw new TaskModuleError(`task module ${path} exports no task (export what defineTask or implement returns)`, {
        path,
      });
    loaded.push(...tasks.map((task) => ({ task, origin: path })));
  }
  mergeTasks(loaded);
  return loaded;
}

export function taskModulePaths(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = flag ?? env.LANES_TASKS ?? '';
  return raw
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}
