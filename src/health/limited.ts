/**
 * Deployments whose credential just answered 429 or `quota_exceeded`, until their
 * retry-after passes (router clock): routing sends their share of the load to the model's
 * other deployments meanwhile. Bounded (oldest first), so keys cannot pile up.
 */
export class LimitedDeployments {
  static readonly MAX = 10_000;
  private readonly until = new Map<string, number>();

  constructor(private readonly now: () => number) {}

  /** Marks `key` (a health key) limited for `ms`. */
  mark(key: string, ms: number): void {
    this.until.delete(key);
    this.until.set(key, this.now() + ms);
    if (this.until.size > LimitedDeployments.MAX) this.until.delete(this.until.keys().next().value!);
  }

  /** When `key` is limited: the ms left, else 0. */
  left(key: string): number {
    const until = this.until.get(key);
    if (until === undefined) return 0;
    const ms = until - this.now();
    if (ms > 0) return ms;
    this.until.delete(key);
    return 0;
  }
}
