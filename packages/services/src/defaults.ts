import { DEFAULT_DATABASE_URL, DEFAULT_REDIS_URL } from '@lanes/contracts';

// What to provision is read from the product's default URLs, so the two never disagree.
const redisUrl = new URL(DEFAULT_REDIS_URL);
export const REDIS_HOST = redisUrl.hostname;
export const REDIS_PORT = Number(redisUrl.port);

const databaseUrl = new URL(DEFAULT_DATABASE_URL);
export const POSTGRES_HOST = databaseUrl.hostname;
export const POSTGRES_PORT = Number(databaseUrl.port);
export const POSTGRES_ROLE = databaseUrl.username;
export const POSTGRES_PASSWORD = databaseUrl.password;
export const POSTGRES_DATABASE = databaseUrl.pathname.slice(1);

/** The URL in the environment when set and non-empty. */
export function envUrl(name: 'REDIS_URL' | 'DATABASE_URL', env: NodeJS.ProcessEnv = process.env): string | null {
  const value = env[name]?.trim();
  return value ? value : null;
}
