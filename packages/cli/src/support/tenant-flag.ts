import { tenantId } from '@lanes/contracts';
import { UsageError } from './args.ts';

/** `--tenant T`, validated by the one tenant schema (exit 2 naming `--tenant` when malformed). */
export function tenantFlag(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const parsed = tenantId.safeParse(raw);
  if (!parsed.success)
    throw new UsageError(`--tenant (tenant): ${parsed.error.issues[0]?.message ?? 'invalid'}, got "${raw}"`);
  return parsed.data;
}
