/**
 * A bounded log-bucket histogram for quantiles of positive values (latencies in ms), after
 * DDSketch (Masson, Rim, Lee, VLDB 2019).
 *
 * Error bound: with relative accuracy `α`, bucket `i` holds the values in `(γ^(i-1), γ^i]`
 * where `γ = (1 + α) / (1 − α)`, and reports `2γ^i / (γ + 1)`, which is within `α` (relative)
 * of every value of the bucket. Counts are exact, so `quantile(q)` is within `α` of the
 * sample's nearest-rank q-quantile — as long as no bucket was collapsed (below).
 *
 * Memory bound: at most `maxBuckets` counters (a `Float64Array`, 8 bytes each), whatever the
 * number of values. When the values span more than `maxBuckets` buckets (a factor of
 * `γ^maxBuckets`: about 28 000× with the defaults α = 0.02 and 256 buckets), the lowest
 * buckets are merged into one: low quantiles lose their bound, high ones keep it.
 * Values at or below `minValue` count in a zero bucket and are reported as 0.
 */
export class LogHistogram {
  private readonly logGamma: number;
  private readonly gamma: number;
  private counts: Float64Array = new Float64Array(0);
  /** Bucket index of `counts[0]`. */
  private offset = 0;
  private zeroCount = 0;
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  constructor(
    readonly relativeAccuracy = 0.02,
    readonly maxBuckets = 256,
    readonly minValue = 1e-3,
  ) {
    if (!(relativeAccuracy > 0 && relativeAccuracy < 1))
      throw new RangeError('relativeAccuracy must be in (0, 1)');
    if (!(maxBuckets >= 2)) throw new RangeError('maxBuckets must be at least 2');
    this.gamma = (1 + relativeAccuracy) / (1 - relativeAccuracy);
    this.logGamma = Math.log(this.gamma);
  }

  record(value: number): void {
    if (!Number.isFinite(value)) return;
    this.count++;
    this.sum += value;
    if (value < this.min) this.min = value;
    if (value > this.max) this.max = value;
    if (value <= this.minValue) {
      this.zeroCount++;
      return;
    }
    const index = Math.ceil(Math.log(value) / this.logGamma);
    this.add(index);
  }

  /** The q-quantile (0 ≤ q ≤ 1) by nearest rank, within the error bound; 0 when empty. */
  quantile(q: number): number {
    if (this.count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.count));
    let seen = this.zeroCount;
    if (rank <= seen) return Math.max(0, this.min);
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const estimate = (2 * this.gamma ** (i + this.offset)) / (this.gamma + 1);
        // Exact extremes make the estimate of the first and last buckets tighter.
        return Math.min(this.max, Math.max(this.min, estimate));
      }
    }
    return this.max;
  }

  /**
   * Adds every value `other` holds (same `relativeAccuracy` and `minValue`): the quantiles
   * of the merge are those of the union, within the same bound.
   */
  merge(other: LogHistogram): void {
    if (other.gamma !== this.gamma || other.minValue !== this.minValue)
      throw new RangeError('cannot merge histograms of different accuracy or minValue');
    if (other.count === 0) return;
    this.count += other.count;
    this.sum += other.sum;
    if (other.min < this.min) this.min = other.min;
    if (other.max > this.max) this.max = other.max;
    this.zeroCount += other.zeroCount;
    const counts = other.counts;
    for (let i = 0; i < counts.length; i++) if (counts[i]! > 0) this.add(i + other.offset, counts[i]!);
  }

  /** Counters in use: the memory held, in 8-byte slots. */
  get buckets(): number {
    return this.counts.length;
  }

  private add(index: number, n = 1): void {
    const counts = this.counts;
    if (counts.length === 0) {
      this.counts = new Float64Array(Math.min(8, this.maxBuckets));
      this.offset = index - (this.counts.length >> 1);
      this.counts[index - this.offset]! += n;
      return;
    }
    const slot = index - this.offset;
    if (slot >= 0 && slot < counts.length) {
      counts[slot]! += n;
      return;
    }
    // Grow to cover [lo, hi], at most maxBuckets wide; beyond, collapse the lowest buckets.
    const lo = Math.min(this.offset, index);
    const hi = Math.max(this.offset + counts.length - 1, index);
    const span = hi - lo + 1;
    if (span <= this.maxBuckets) {
      const size = Math.min(this.maxBuckets, Math.max(span, counts.length * 2));
      // Leave the slack on the side that grew.
      const newOffset = index < this.offset ? hi - size + 1 : lo;
      const next = new Float64Array(size);
      next.set(counts, this.offset - newOffset);
      this.counts = next;
      this.offset = newOffset;
      next[index - newOffset]! += n;
      return;
    }
    const size = this.maxBuckets;
    const newOffset = hi - size + 1;
    const next = new Float64Array(size);
    for (let i = 0; i < counts.length; i++) {
      const target = Math.max(0, i + this.offset - newOffset);
      next[target]! += counts[i]!;
    }
    this.counts = next;
    this.offset = newOffset;
    next[Math.max(0, index - newOffset)]! += n;
  }
}
