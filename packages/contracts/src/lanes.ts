/** The three lanes. Each is its own BullMQ queue, so critical work never waits behind low work. */
export const LANES = ['critical', 'default', 'low'] as const;
export type Lane = (typeof LANES)[number];

export function isLane(value: string): value is Lane {
  return (LANES as readonly string[]).includes(value);
}
