/**
 * Keeps secrets out of what the dashboard shows: job data, results and progress in the API and
 * in Bull Board. Keys are matched by name after dropping case, `-` and `_`, so `api_key`,
 * `apiKey` and `API-KEY` all match, while counts such as `tokens` do not.
 */
const SECRET_KEYS = new Set(['password', 'passwd', 'pass', 'pwd', 'secret', 'token', 'apikey', 'authorization', 'auth', 'credentials', 'privatekey', 'cookie']);
const SECRET_SUFFIXES = ['password', 'secret', 'apikey', 'token', 'privatekey', 'credentials'];

export const REDACTED = '[redacted]';
const MAX_DEPTH = 32;

export function isSecretKey(key: string): boolean {
  const normalized = key.toLowerCase().replace(/[-_]/g, '');
  return SECRET_KEYS.has(normalized) || SECRET_SUFFIXES.some((suffix) => normalized.endsWith(suffix));
}

/** Masks credentials that appear inside free text (error messages): URL passwords, bearer tokens, API keys. */
export function redactString(text: string): string {
  return text
    // `***` is how redactUrl (@lanes/contracts) already masked it.
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*:)(?!\*\*\*@)[^@/?#\s]+@/gi, `$1${REDACTED}@`)
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${REDACTED}`)
    .replace(/\bsk-[A-Za-z0-9_-]{16,}/g, REDACTED);
}

/** A deep copy of JSON-like data with secret-named fields replaced and secrets in strings masked. */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactString(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) out[key] = isSecretKey(key) ? REDACTED : redact(inner, depth + 1);
  return out;
}
