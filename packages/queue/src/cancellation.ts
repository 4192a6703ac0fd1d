/** Pub/sub channel on which cancellations of running jobs are announced to every worker. */
export function cancelChannel(prefix: string): string {
  return `${prefix}:cancel`;
}
