/**
 * The one place secrets are kept out of what Lanes shows: failed reasons and stack traces
 * recorded by the runtime, log lines, CLI output, the dashboard's API and Bull Board. Pure (no
 * I/O): configuration loaders hand it the secrets they read (`registerSecretsFrom`).
 *
 * Keys are matched by name after dropping case, `-` and `_`, so `api_key`, `apiKey`,
 * `OPENAI_API_KEY` and `API-KEY` all match, while counts such as `tokens` do not.
 */
const SECRET_KEYS = new Set([
  'password',
  'passwd',
  'pass',
  'pwd',
  'secret',
  'token',
  'apikey',
  'authorization',
  'auth',
  'credentials',
  'privatekey',
  'cookie',
]);
const SECRET_SUFFIXES = ['password', 'secret', 'apikey', 'token', 'privatekey', 'credentials'];

export const REDACTED = '[redacted]';
const MAX_DEPTH = 32;
/**
 * Shorter configured values would mask ordinary words (the development database's password
 * is `lanes`); they are still masked where their shape shows them: in URLs, after `Bearer`,
 * under secret-named keys.
 */
const MIN_SECRET_LENGTH = 8;

export function isSecretKey(key: string): boolean {
  const normalized = key.toLowerCase().replace(/[-_]/g, '');
  return SECRET_KEYS.has(normalized) || SECRET_SUFFIXES.some((suffix) => normalized.endsWith(suffix));
}

/**
 * Environment variables that hold a secret, by the end of their name: `OPENAI_API_KEY`,
 * `LANES_DASHBOARD_TOKEN`, `PGPASSWORD`. Stricter than isSecretKey: `PWD` is a folder.
 */
const SECRET_VARIABLE = /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIALS)$/i;

/** Configured secret values of this process, longest first so no secret is half-masked. */
let secrets: string[] = [];

/** Masks `value` wherever it appears from now on (and its URL-encoded form). */
export function registerSecret(value: string): void {
  const forms = [value, encodeURIComponent(value)].filter(
    (form) => form.length >= MIN_SECRET_LENGTH && !secrets.includes(form),
  );
  if (forms.length > 0) secrets = [...secrets, ...forms].sort((a, b) => b.length - a.length);
}

/**
 * The secrets of a configuration: every variable named like one (`OPENAI_API_KEY`,
 * `LANES_DASHBOARD_TOKEN`, `PGPASSWORD`) and the passwords of URLs (`REDIS_URL`, `DATABASE_URL`).
 */
export function registerSecretsFrom(env: Readonly<Record<string, string | undefined>>): void {
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined || value === '') continue;
    if (SECRET_VARIABLE.test(name)) registerSecret(value);
    if (name.endsWith('_URL') && value.includes('@')) {
      for (const url of value.split(',')) {
        try {
          const password = new URL(url).password;
          if (password !== '') {
            registerSecret(password);
            registerSecret(decodeURIComponent(password));
          }
        } catch {
          // Not a URL: nothing to take from it.
        }
      }
    }
  }
}

/**
 * Masks credentials inside free text (error messages, stack traces): configured secrets, URL
 * passwords, bearer tokens and `sk-...` API keys.
 */
export function redactString(text: string): string {
  let out = text
    // `***` is how redactUrl (dependency-faults.ts) already masked a password.
    .replace(/([a-z][a-z0-9+.-]*:\/\/[^:/?#\s@]*:)(?!\*\*\*@)[^@/?#\s]+@/gi, `$1${REDACTED}@`)
    .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${REDACTED}`)
    .replace(/\bsk-[A-Za-z0-9_-]{16,}/g, REDACTED);
  for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

/**
 * A deep copy of JSON-like data with secret-named fields replaced and secrets in strings
 * masked. Errors become `{ type, message, stack, code }`, masked too.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactString(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return {
      type: value.name,
      message: redactString(value.message),
      ...(value.stack !== undefined && { stack: redactString(value.stack) }),
      ...(code !== undefined && { code: redact(code, depth + 1) }),
    };
  }
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) out[key] = isSecretKey(key) ? REDACTED : redact(inner, depth + 1);
  return out;
}

/** The same error with its message and stack masked in place (its class, for `instanceof`, kept). */
export function redactError<E>(error: E): E {
  if (error instanceof Error) {
    error.message = redactString(error.message);
    if (error.stack !== undefined) error.stack = redactString(error.stack);
  }
  return error;
}
