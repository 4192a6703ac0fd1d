import { z } from 'zod';

/** Tenant ids (CONTRACT.md, "Tenants"): 1-128 characters of `A-Za-z0-9._:-`, starting with a letter or digit. */
export const TENANT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * The one tenant schema: enqueue options, the `ingest` and `search` payloads, the CLI and the
 * HTTP API all validate with it, so a bad tenant is refused the same way everywhere.
 */
export const tenantId = z
  .string()
  .regex(TENANT_PATTERN, 'must be 1-128 letters, digits or ._:- starting with a letter or digit');
