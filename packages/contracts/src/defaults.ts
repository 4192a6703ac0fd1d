/**
 * Where Lanes looks for its services when REDIS_URL / DATABASE_URL are unset: the servers
 * `lanes services up` provisions on this machine. Every package derives its defaults from these.
 */
export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
export const DEFAULT_DATABASE_URL = 'postgres://lanes:lanes@127.0.0.1:5432/lanes';
