/** What every suite receives and returns. */

export interface BenchOptions {
  /** Tiny sizes, for the smoke test: checks the machinery, not the figures. */
  readonly quick: boolean;
  /** Optional big sizes (1M vectors for search). */
  readonly large: boolean;
  readonly redisUrl: string;
  readonly databaseUrl: string;
  /** Unique per `pnpm bench` run; suites derive their key prefixes and schema names from it. */
  readonly runId: string;
  readonly log: (message: string) => void;
}

export interface OtherFigure {
  readonly name: string;
  readonly value: number | null;
}

/**
 * One figure: Lanes' value next to its baseline measured in the same run. `ratio` is always
 * lanes / baseline; whether higher or lower is better is said by `target`.
 */
export interface BenchRow {
  readonly metric: string;
  readonly unit: string;
  readonly lanes: number | null;
  readonly baseline: number | null;
  readonly baselineName: string;
  readonly ratio: number | null;
  /** Human-readable target, e.g. "ratio >= 0.95" or "p95 < 50 ms"; empty when informative only. */
  readonly target: string;
  /** Null when the row has no target or could not be measured. */
  readonly met: boolean | null;
  /** Further columns, e.g. a third queue library. */
  readonly others?: readonly OtherFigure[];
  readonly note?: string;
}

export interface SuiteResult {
  readonly suite: string;
  readonly title: string;
  readonly rows: readonly BenchRow[];
  /** Sizes, settings and anything needed to read the rows. */
  readonly params: Readonly<Record<string, unknown>>;
  readonly notes: readonly string[];
  readonly durationMs: number;
}

export type SuiteRunner = (options: BenchOptions) => Promise<SuiteResult>;
