// One side of the overhead suite (enqueue, then process) in a process of its own, with a CPU
// profile of one phase, for finding where the per-job time goes:
//   node bench/tools/profile-side.ts lanes|bullmq|bullmq-opts [jobs] [enqueue|process] [out.cpuprofile]
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { lanesSide } from '../suites/overhead/lanes-side.ts';
import { bullmqSide } from '../suites/overhead/bullmq-side.ts';
const which = process.argv[2] ?? 'lanes';
const jobs = Number(process.argv[3] ?? 20000);
const phase = process.argv[4] ?? 'process';
const out = process.argv[5];
const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const session = new Session();
session.connect();
await session.post('Profiler.enable');
const prof = async <T>(on: boolean, body: () => Promise<T>): Promise<T> => {
  if (!on || out === undefined) return body();
  await session.post('Profiler.start');
  const r = await body();
  const { profile } = await session.post('Profiler.stop');
  writeFileSync(out, JSON.stringify(profile));
  return r;
};
for (let round = 0; round < 2; round++) {
  const prefix = `prof-${randomUUID().slice(0, 8)}`;
  const side =
    which === 'lanes'
      ? lanesSide({ redisUrl, prefix })
      : bullmqSide({ redisUrl, prefix }, which === 'bullmq-opts' ? 'lanes-job-options' : 'lanes-defaults');
  const e = await prof(round === 1 && phase === 'enqueue', () => side.enqueue(jobs, 1000));
  const p = await prof(round === 1 && phase === 'process', () => side.process(jobs, 50, 120000));
  await side.dispose();
  process.stdout.write(
    `${which} round ${round}: enqueue ${Math.round(e.perSecond)}/s ${e.cpuMicrosPerJob.toFixed(1)} µs/job; process ${Math.round(p.perSecond)}/s ${p.cpuMicrosPerJob.toFixed(1)} µs/job\n`,
  );
}
process.exit(0);
