import { parseArgs } from 'node:util';
import { EXIT_FAILED, EXIT_OK, EXIT_USAGE, type CliCommand } from '../command.ts';
import type { PostgresStatus, ServiceStatus, ServicesStatus } from '@lanes/services';

const usage = `Usage: lanes services up|down|status [--quiet] [--json]

Local Redis and PostgreSQL+pgvector for development and CI (not for production), from the
optional @lanes/services package: npm install --save-dev @lanes/services

  up       install (Debian/Ubuntu apt) and start what is missing: Redis on 127.0.0.1:6379 and
           PostgreSQL with pgvector on 127.0.0.1:5432 (role, password and database "lanes"),
           data in .lanes/services of the project (the workspace root at or above the
           working directory; LANES_SERVICES_DIR overrides). Servers already running on those
           ports are reused. With REDIS_URL / DATABASE_URL set, nothing is installed for
           them: they are checked.
  down     stop the servers that "up" started (reused external servers are left alone)
  status   show each service: URL, reachable, managed by lanes or external, version

Options:
  --quiet  print nothing when there is nothing to do
  --json   print one JSON document on stdout: { "redis": {...}, "postgres": {...} }
  --help   show this help

Exit codes: 0 ok, 1 failed (one line on stderr names what; for status: a service is not
usable), 2 bad usage.
Progress goes to stderr; stdout carries only the result.`;

const SUBCOMMANDS = ['up', 'down', 'status'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

type ServicesModule = typeof import('@lanes/services');

const PACKAGE_NEEDED = 'lanes services needs the @lanes/services package: npm install --save-dev @lanes/services';

/**
 * Provisioning is developer-machine tooling, not the product: it lives in an optional package,
 * loaded only when this command runs. Null when that package is not installed.
 */
async function loadServices(): Promise<ServicesModule | null> {
  try {
    return await import('@lanes/services');
  } catch (error) {
    if (isPackageMissing(error)) return null;
    throw error;
  }
}

/** The package itself is not installed (a missing dependency of it is a broken install, reported as such). */
function isPackageMissing(error: unknown): boolean {
  return (
    error instanceof Error &&
    'code' in error &&
    error.code === 'ERR_MODULE_NOT_FOUND' &&
    error.message.includes("'@lanes/services'")
  );
}

function isSubcommand(value: string | undefined): value is Subcommand {
  return (SUBCOMMANDS as readonly (string | undefined)[]).includes(value);
}

function describe(name: string, status: ServiceStatus | PostgresStatus): string {
  const parts = [
    `${name}: ${status.url}`,
    status.reachable ? 'reachable' : 'NOT reachable',
    status.managedBy === 'lanes' ? 'managed by lanes' : status.managedBy === 'external' ? 'external' : 'not running',
  ];
  if (status.version) parts.push(`version ${status.version}`);
  if ('vector' in status && status.vector) parts.push(`vector ${status.vector}`);
  if (status.pid) parts.push(`pid ${status.pid}`);
  let line = parts.join(', ');
  if (status.dataDir && status.managedBy === 'lanes') line += `\n  data: ${status.dataDir}`;
  if (status.error) line += `\n  error: ${status.error}`;
  return line;
}

function print(status: ServicesStatus, json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
    return;
  }
  process.stdout.write(`${describe('redis', status.redis)}\n${describe('postgres', status.postgres)}\n`);
}

function healthy(status: ServicesStatus): boolean {
  return status.redis.reachable && status.postgres.reachable && status.postgres.error === null;
}

/** The flags of `lanes services`. */
function parseServicesArgs(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      quiet: { type: 'boolean', short: 'q', default: false },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
}

export const servicesCommand: CliCommand = {
  name: 'services',
  summary: 'local Redis and PostgreSQL+pgvector for development and CI (up|down|status)',
  usage,
  async run(argv: readonly string[]): Promise<number> {
    let parsed: ReturnType<typeof parseServicesArgs>;
    try {
      parsed = parseServicesArgs(argv);
    } catch (error) {
      process.stderr.write(
        `lanes services: ${error instanceof Error ? error.message : String(error)}\n${usage.split('\n')[0]}\n`,
      );
      return EXIT_USAGE;
    }
    const { values, positionals } = parsed;
    if (values.help) {
      process.stdout.write(`${usage}\n`);
      return EXIT_OK;
    }
    const [sub, ...extra] = positionals;
    if (!isSubcommand(sub) || extra.length > 0) {
      const problem =
        sub === undefined
          ? 'missing sub-command'
          : !isSubcommand(sub)
            ? `unknown sub-command "${sub}"`
            : `unexpected argument "${extra[0]}"`;
      process.stderr.write(`lanes services: ${problem} (expected up, down or status)\n${usage.split('\n')[0]}\n`);
      return EXIT_USAGE;
    }
    const services = await loadServices();
    if (services === null) {
      process.stderr.write(`${PACKAGE_NEEDED}\n`);
      return EXIT_USAGE;
    }
    const quiet = values.quiet === true;
    const json = values.json === true;
    try {
      switch (sub) {
        case 'up': {
          const status = await services.servicesUp({ quiet });
          if (json) print(status, true);
          else if (!quiet) print(status, false);
          return healthy(status) ? EXIT_OK : EXIT_FAILED;
        }
        case 'down': {
          const status = await services.servicesDown({ quiet });
          if (json) print(status, true);
          else if (!quiet) print(status, false);
          return EXIT_OK;
        }
        case 'status': {
          const status = await services.servicesStatus();
          print(status, json);
          return healthy(status) ? EXIT_OK : EXIT_FAILED;
        }
      }
    } catch (error) {
      process.stderr.write(`lanes services ${sub}: ${services.messageOf(error)}\n`);
      return EXIT_FAILED;
    }
  },
};
