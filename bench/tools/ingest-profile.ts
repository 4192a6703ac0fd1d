// Profiles one `lanes worker` process while it ingests the ingest suite's corpus:
// `node bench/tools/ingest-profile.ts [OUT_DIR]` writes V8 CPU profiles (main thread and every
// worker thread, `node --cpu-prof`) into OUT_DIR and prints the top self-time functions of each.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadCorpus } from '../suites/ingest/corpus.ts';
import { lanesIngest } from '../suites/ingest/lanes-ingest.ts';
import { newRunId } from '../lib/ids.ts';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Self time per function (ms), highest first. */
function selfTimes(profile: CpuProfile): Array<[string, number]> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!.callFrame;
    const file = frame.url.replace(/^.*\/(node_modules\/(\.pnpm\/)?)?/, '');
    const name = `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
    totals.set(name, (totals.get(name) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return [...totals].sort((a, b) => b[1] - a[1]);
}

const outDir = resolve(process.argv[2] ?? `lanes-ingest-profile-${Date.now()}`);
mkdirSync(outDir, { recursive: true });
const corpus = loadCorpus(300);
try {
  const run = await lanesIngest(
    {
      redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
      databaseUrl: process.env.DATABASE_URL ?? 'postgres://lanes:lanes@127.0.0.1:5432/lanes',
      id: newRunId(),
      env: { NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${outDir}` },
    },
    corpus.files.map((file) => file.path),
    1,
  );
  process.stdout.write(`ingest: ${Math.round(run.wallMs)} ms, ${run.pages} pages, ${run.chunks} chunks\n`);
} finally {
  corpus.dispose();
}
for (const file of readdirSync(outDir).filter((name) => name.endsWith('.cpuprofile'))) {
  const profile = JSON.parse(readFileSync(join(outDir, file), 'utf8')) as CpuProfile;
  const times = selfTimes(profile);
  const total = times.reduce((sum, [, ms]) => sum + ms, 0);
  process.stdout.write(`\n${file}: ${Math.round(total)} ms sampled\n`);
  for (const [name, ms] of times.slice(0, 25)) process.stdout.write(`  ${ms.toFixed(0).padStart(6)} ms  ${name}\n`);
}
