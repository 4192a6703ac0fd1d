// `npm run demo`: workers and the dashboard in one process, the sample documents ingested with
// visible progress, a sample search, then the dashboard URL. `--once` exits after the search.
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ingest, type JobStatus, definedOnly } from '@lanes/contracts';
import { createLogger, LanesMetrics, LanesWorker, loadRuntimeConfig } from '@lanes/worker-core';
import { startDashboard } from '@lanes/dashboard';
import { loadBuiltinTasks, openBuiltinReader } from '../packages/cli/src/support/builtins.ts';
import { expandDocumentPaths } from '../packages/cli/src/support/document-paths.ts';

const SAMPLE_QUERY = 'How does Lanes keep critical work from waiting behind low-priority jobs?';
const root = join(import.meta.dirname, '..');
const { values } = parseArgs({ options: { once: { type: 'boolean' }, port: { type: 'string' } } });

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

function progressText(status: JobStatus): string {
  const progress = status.progress;
  if (typeof progress !== 'object' || progress === null) return status.state;
  const entries = Object.entries(progress as Record<string, unknown>).map(([key, value]) => `${key} ${String(value)}`);
  return `${status.state} (${entries.join(', ')})`;
}

const config = loadRuntimeConfig();
const logger = createLogger(process.env.LOG_LEVEL === undefined ? 'warn' : config.logLevel, { component: 'demo' });
const metrics = new LanesMetrics();
// The worker's tasks first: they migrate the schema the reader then finds.
const builtins = await loadBuiltinTasks(config, { metrics, logger });
const rag = await openBuiltinReader(config, { metrics, logger });
const worker = new LanesWorker({
  config,
  logger,
  metrics,
  tasks: builtins.tasks,
  readinessChecks: builtins.readinessChecks,
});
await worker.start();
const dashboardOptions = {
  client: worker.client,
  config,
  metrics,
  search: rag.search,
  documents: rag.documents,
  usage: rag.usage,
  readinessChecks: rag.readinessChecks,
  allowedRoots: rag.allowedRoots,
  assertPath: rag.assertPath,
  ...definedOnly({ token: process.env.LANES_DASHBOARD_TOKEN }),
};
// Port 3000 unless taken (another demo, another app): then any free port; the URL is printed.
const dashboard = await startDashboard({
  ...dashboardOptions,
  host: '127.0.0.1',
  port: Number(values.port ?? 3000),
}).catch((error: NodeJS.ErrnoException) => {
  if (error.code !== 'EADDRINUSE') throw error;
  return startDashboard({ ...dashboardOptions, host: '127.0.0.1', port: 0 });
});

async function shutdown(code: number): Promise<never> {
  await dashboard.close();
  await worker.close();
  await rag.close();
  await builtins.close();
  process.exit(code);
}
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

try {
  const { files } = await expandDocumentPaths([join(root, 'samples')]);
  say(`Lanes demo: ingesting ${files.length} sample documents from samples/`);
  const handles = await worker.client.enqueueBulk(
    ingest,
    files.map((path) => ({ payload: { path } })),
  );
  const names = new Map(handles.map((handle, i) => [handle.id, files[i]!.slice(root.length + 1)]));
  const reported = new Map<string, string>();
  for (;;) {
    const statuses = await Promise.all(handles.map((handle) => worker.client.status(handle.id)));
    for (const status of statuses) {
      const line = progressText(status);
      if (reported.get(status.id) !== line) {
        reported.set(status.id, line);
        say(`  ${names.get(status.id)}: ${line}`);
      }
    }
    if (statuses.every((status) => status.state === 'completed' || status.state === 'failed')) {
      const failed = statuses.filter((status) => status.state === 'failed');
      for (const status of failed) say(`  ${names.get(status.id)} failed: ${status.failedReason}`);
      if (failed.length > 0) throw new Error(`${failed.length} sample documents failed to ingest`);
      for (const status of statuses) say(`  ${names.get(status.id)}: ${JSON.stringify(status.result)}`);
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }

  say(`\nSearch: "${SAMPLE_QUERY}"`);
  const response = await rag.search({ query: SAMPLE_QUERY, k: 3, mode: 'hybrid' });
  for (const [rank, hit] of response.results.entries()) {
    say(
      `  ${rank + 1}. ${hit.source} #${hit.chunkIndex} (score ${hit.score.toFixed(3)}): ${hit.text.replace(/\s+/g, ' ').slice(0, 140)}...`,
    );
  }
  say(`\nDashboard: ${dashboard.url}/admin/queues   (overview: ${dashboard.url}/)`);
  if (values.once) await shutdown(0);
  say('Serving until Ctrl-C.');
} catch (error) {
  process.stderr.write(`demo failed: ${error instanceof Error ? error.message : String(error)}\n`);
  await shutdown(1);
}
