import { InvalidOptionsError, LANES, tenantId, toFieldIssues, z } from '@lanes/contracts';

/** BullMQ's highest priority number (lowest urgency). */
export const MAX_PRIORITY = 2_097_152;
/** Longest delay: a year, well within what timers and BullMQ's delayed scores hold. */
export const MAX_DELAY_MS = 365 * 24 * 3600_000;

/**
 * Every option of an enqueue, declared once: the client, the worker's follow-ups and the HTTP
 * API validate with it, and `EnqueueOptions` is its type.
 */
export const enqueueOptionsSchema = z
  .object({
    /** Send to another lane than the task's home lane. */
    lane: z.enum(LANES).optional(),
    /** Start no earlier than this many milliseconds from now. */
    delayMs: z.number().int().min(0).max(MAX_DELAY_MS).optional(),
    /** Priority within the lane: 1 is most urgent. Jobs without priority go first (FIFO). */
    priority: z.number().int().min(1).max(MAX_PRIORITY).optional(),
    /** The same key for the same task always yields the same job, never a duplicate. */
    idempotencyKey: z.string().min(1).max(512).optional(),
    /** Overrides the contract's attempts. */
    attempts: z.number().int().min(1).max(100).optional(),
    /** Whose work this is: within a lane, ready jobs of different tenants share the workers fairly. */
    tenant: tenantId.optional(),
  })
  .strict();

export type EnqueueOptions = z.input<typeof enqueueOptionsSchema>;

/** Throws InvalidOptionsError naming each bad field as `options.<field>`. */
export function parseEnqueueOptions(options: unknown): EnqueueOptions {
  const result = enqueueOptionsSchema.safeParse(options);
  if (!result.success) throw new InvalidOptionsError(toFieldIssues(result.error, 'options'));
  return result.data;
}
