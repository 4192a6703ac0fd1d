import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { JobStatus } from '@lanes/contracts';
import { summariseProgress } from './job-progress.ts';

/** How waiting jobs are shown: bars on a terminal, stage changes as lines on a pipe, nothing with --json. */
export type ProgressMode = 'bars' | 'lines' | 'none';

export interface ProgressView {
  update(id: string, label: string, status: JobStatus): void;
  stop(): void;
}

const BAR_SCALE = 1000;

export function progressMode(json: boolean, stream: NodeJS.WriteStream = process.stderr): ProgressMode {
  if (json) return 'none';
  return stream.isTTY === true ? 'bars' : 'lines';
}

/** One bar per job on stderr, redrawn in place (cli-progress). */
function barsView(stream: NodeJS.WriteStream): ProgressView {
  const multi = new MultiBar(
    {
      stream,
      format: ' {bar} {percentage}% | {label} | {detail}',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      autopadding: true,
      fps: 10,
    },
    Presets.shades_classic,
  );
  const bars = new Map<string, SingleBar>();
  return {
    update(id, label, status) {
      const { fraction, text } = summariseProgress(status);
      const value = Math.round((fraction ?? 0) * BAR_SCALE);
      const bar = bars.get(id);
      if (bar === undefined) bars.set(id, multi.create(BAR_SCALE, value, { label, detail: text }));
      else bar.update(value, { label, detail: text });
    },
    stop: () => multi.stop(),
  };
}

/** A line on stderr whenever a job's state or stage changes: readable in a CI log, never one per percent. */
function linesView(stream: NodeJS.WriteStream): ProgressView {
  const shown = new Map<string, string>();
  return {
    update(id, label, status) {
      const { text } = summariseProgress(status);
      const step = text.split(' ')[0]!;
      if (shown.get(id) === step) return;
      shown.set(id, step);
      stream.write(`lanes: ${label}: ${text}\n`);
    },
    stop: () => undefined,
  };
}

export function createProgressView(mode: ProgressMode, stream: NodeJS.WriteStream = process.stderr): ProgressView {
  if (mode === 'bars') return barsView(stream);
  if (mode === 'lines') return linesView(stream);
  return { update: () => undefined, stop: () => undefined };
}
