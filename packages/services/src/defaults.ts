export const REDIS_HOST = '127.0.0.1';
export const REDIS_PORT = 6379;
export const DEFAULT_REDIS_URL = `redis://${REDIS_HOST}:${REDIS_PORT}`;

export const POSTGRES_HOST = '127.0.0.1';
export const POSTGRES_PORT = 5432;
export const POSTGRES_ROLE = 'lanes';
export const POSTGRES_PASSWORD = 'lanes';
export const POSTGRES_DATABASE = 'lanes';
export const DEFAULT_DATABASE_URL = `postgres://${POSTGRES_ROLE}:${POSTGRES_PASSWORD}@${POSTGRES_HOST}:${POSTGRES_PORT}/${POSTGRES_DATABASE}`;

/** The URL in the environment when set and non-empty. */
export function envUrl(name: 'REDIS_URL' | 'DATABASE_URL', env: NodeJS.ProcessEnv = process.env): string | null {
  const value = env[name]?.trim();
  return value ? value : null;
}
