// Controlled comparison: pdf-parse alone vs the whole ingest, each in a fresh process; wall and CPU time.
import { readFileSync } from 'node:fs';
import { PDFParse } from 'pdf-parse';
import { LanesMetrics, LanesWorker, loadRuntimeConfig, ingest } from '@lanes/worker-core';
import { createRagRuntime } from './src/index.ts';
import { ragTestEnv, dropRagState } from '../../test/rag/helpers.ts';
const files = process.argv.slice(3);
const mode = process.argv[2];
if (mode === 'alone') {
  // Import first (module loading not timed, as in the bench).
  const cpu0 = process.cpuUsage(); const t0 = performance.now(); let pages = 0;
  for (const f of files) { const p = new PDFParse({ data: readFileSync(f) }); const r = await p.getText(); pages += r.total; await p.destroy(); }
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({ mode, wallMs: Math.round(performance.now() - t0), cpuMs: Math.round((cpu.user + cpu.system) / 1000), pages }));
} else {
  const env = ragTestEnv('measure', { LANES_EXTRACT_THREADS: process.env.THREADS ?? '1' });
  const metrics = new LanesMetrics({ defaultMetrics: false });
  const rag = await createRagRuntime({ env, metrics });
  const worker = new LanesWorker({ config: loadRuntimeConfig(env), tasks: rag.tasks, metrics });
  await worker.start();

  const cpu0 = process.cpuUsage(); const t0 = performance.now();
  const handles = await worker.client.enqueueBulk(ingest, files.map((path) => ({ payload: { path } })));
  let pages = 0, chunks = 0;
  for (const h of handles) { const r = await h.wait({ timeoutMs: 600000 }); pages += r.pages; chunks += r.chunks; }
  const cpu = process.cpuUsage(cpu0);
  console.log(JSON.stringify({ mode, wallMs: Math.round(performance.now() - t0), cpuMs: Math.round((cpu.user + cpu.system) / 1000), pages, chunks }));
  await worker.close(); await rag.close(); await dropRagState(env);
}
