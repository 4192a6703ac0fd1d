import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { HttpError } from './errors.ts';

/** Probes stay open so orchestrators can check the process without holding the token. */
const OPEN_PATHS = new Set(['/healthz', '/readyz']);

/**
 * Pages a person opens in a browser: a 401 there carries a Basic challenge so the browser
 * prompts, and the token is typed as the password (any user name).
 */
function isBrowserPage(path: string): boolean {
  return path === '/' || path === '/overview' || path === '/admin' || path.startsWith('/admin/');
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/** The secret a request presents: a bearer token, or the password of Basic credentials. */
export function presentedSecret(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const bearer = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (bearer !== null) return bearer[1];
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (basic === null) return undefined;
  const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/**
 * Compares digests, not the strings: both sides are then 32 bytes, so timingSafeEqual applies
 * and the time taken reveals neither the token's content nor its length.
 */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

function challengeFor(req: Request): string {
  return isBrowserPage(req.path) ? 'Basic realm="Lanes", charset="UTF-8"' : 'Bearer realm="Lanes"';
}

/** Token auth for every route but the probes; a no-op when no token is configured. */
export function requireToken(token: string | undefined): RequestHandler {
  if (token === undefined || token === '') return (_req, _res, next) => next();
  return (req, _res, next) => {
    if (OPEN_PATHS.has(req.path)) return next();
    if (tokenMatches(presentedSecret(req.get('authorization')), token)) return next();
    next(
      new HttpError(401, 'missing or invalid token: send "Authorization: Bearer <token>"', {
        code: 'UNAUTHORIZED',
        headers: { 'www-authenticate': challengeFor(req) },
      }),
    );
  };
}
