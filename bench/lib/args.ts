import { isAbsolute, join } from 'node:path';

export const SUITE_NAMES = ['overhead', 'lane-priority', 'embedding', 'search', 'ingest'] as const;
export type SuiteName = (typeof SUITE_NAMES)[number];

export interface BenchArgs {
  readonly quick: boolean;
  readonly large: boolean;
  readonly only: readonly SuiteName[];
  readonly outDir: string;
}

export class UsageError extends Error {}

export const USAGE = `usage: pnpm bench [--quick] [--large] [--only ${SUITE_NAMES.join(',')}] [--out DIR]
  --quick   tiny sizes (checks the machinery; figures mean little)
  --large   also the optional big sizes (search at 1M vectors)
  --only    run only these suites (comma-separated)
  --out     where latest.json and latest.md go (default bench/results)`;

function isSuite(name: string): name is SuiteName {
  return (SUITE_NAMES as readonly string[]).includes(name);
}

export function parseArgs(argv: readonly string[], root: string): BenchArgs {
  let quick = false;
  let large = false;
  let only: SuiteName[] = [...SUITE_NAMES];
  let outDir = join(root, 'bench', 'results');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes('=')
      ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
      : [arg, undefined];
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new UsageError(`${flag} needs a value`);
      return v;
    };
    if (flag === '--') continue;
    else if (flag === '--quick') quick = true;
    else if (flag === '--large') large = true;
    else if (flag === '--only') {
      const names = value()
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      const unknown = names.filter((n) => !isSuite(n));
      if (unknown.length > 0)
        throw new UsageError(`--only: unknown suite ${unknown.join(', ')} (known: ${SUITE_NAMES.join(', ')})`);
      only = names.filter(isSuite);
    } else if (flag === '--out') {
      const dir = value();
      outDir = isAbsolute(dir) ? dir : join(process.cwd(), dir);
    } else throw new UsageError(`unknown argument ${arg}`);
  }
  return { quick, large, only, outDir };
}
