/** What `lanes services status --json` prints per service (fields may be added, not removed). */
export interface ServiceStatus {
  /** The URL clients use; a password from the environment is shown as ***. */
  url: string;
  /** `env` when REDIS_URL / DATABASE_URL chose the server, `default` for the local one. */
  source: 'env' | 'default';
  reachable: boolean;
  /** `lanes` when `lanes services up` started it (and `down` stops it), `external` otherwise; null when nothing runs. */
  managedBy: 'lanes' | 'external' | null;
  /** Server version, when it could be asked. */
  version: string | null;
  /** Server process id, when known. */
  pid: number | null;
  /** Data directory of a server we manage. */
  dataDir: string | null;
  /** Why it is not reachable or not usable, when it is not. */
  error: string | null;
}

export interface PostgresStatus extends ServiceStatus {
  /** Installed version of the `vector` extension in the database, or null. */
  vector: string | null;
}

export interface ServicesStatus {
  redis: ServiceStatus;
  postgres: PostgresStatus;
}
