/** What the provider saw during a run, from its request log. */
export interface RequestStats {
  readonly accepted: number;
  readonly rejected429: number;
  /** When each 429 was answered, ms after the first request (at most 100 listed). */
  readonly rejectedAtMs: readonly number[];
  /** Most 429s answered within any one second. */
  readonly max429PerSecond: number;
  /** First request to last accepted one. */
  readonly windowMs: number;
  /** Accepted requests per second over the window. */
  readonly acceptedPerSecond: number;
  /**
   * Accepted / the most the limit allowed in the window (a full bucket to start with, then the
   * refill rate): 1.0 means not one request's worth of budget went unused.
   */
  readonly fractionOfLimit: number;
}

export function requestStats(
  requests: ReadonlyArray<{ at: number; status: number }>,
  limit: { requests: number; perMs: number },
): RequestStats {
  const sorted = [...requests].sort((a, b) => a.at - b.at);
  const ok = sorted.filter((r) => r.status === 200);
  const rejected = sorted.filter((r) => r.status === 429);
  const first = sorted[0]?.at ?? 0;
  const last = ok[ok.length - 1]?.at ?? first;
  const windowMs = Math.max(1, last - first);
  let max429 = 0;
  for (let i = 0, j = 0; i < rejected.length; i++) {
    while (rejected[i]!.at - rejected[j]!.at >= 1000) j++;
    max429 = Math.max(max429, i - j + 1);
  }
  const allowed = limit.requests + (windowMs * limit.requests) / limit.perMs;
  return {
    accepted: ok.length,
    rejected429: rejected.length,
    rejectedAtMs: rejected.slice(0, 100).map((r) => r.at - first),
    max429PerSecond: max429,
    windowMs,
    acceptedPerSecond: (ok.length * 1000) / windowMs,
    fractionOfLimit: ok.length / allowed,
  };
}
