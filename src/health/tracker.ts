import type { ProviderErrorCode } from '../errors.js';
import type { ModelHealth } from '../strategies/types.js';

/** Weight of the newest sample in the moving averages. */
const ALPHA = 0.2;

/** When a deployment's circuit opens, and for how long. */
export interface BreakerOptions {
  /** Consecutive failures that open the circuit. Default 5. */
  consecutiveFailures: number;
  /** Failure share over the last `window` attempts that opens it (with at least `minSamples`). Default 0.5. */
  errorRate: number;
  /** Attempts the error rate is taken over. Default 20. */
  window: number;
  /** Fewest attempts in the window before the error rate counts. Default 10. */
  minSamples: number;
  /** How long an open circuit stays open before one probe is let through. Default 30 000. */
  cooldownMs: number;
  /**
   * With a store that shares circuits (`createRedisStore`): the sliding time window over
   * which the failures and attempts of every instance are counted for `errorRate` (and
   * beyond which consecutive failures are forgotten). Default 60 000.
   */
  windowMs: number;
}

export const DEFAULT_BREAKER: BreakerOptions = {
  consecutiveFailures: 5,
  errorRate: 0.5,
  window: 20,
  minSamples: 10,
  cooldownMs: 30_000,
  windowMs: 60_000,
};

/**
 * Failures that say something about the deployment's health. A bad request, a context too
 * long, a content filter or a bad key is about the call or the tenant, not the deployment.
 */
export const HEALTH_FAILURES: ReadonlySet<ProviderErrorCode> = new Set([
  'rate_limited',
  'overloaded',
  'server_error',
  'timeout',
  'connection',
  'not_found',
]);

type CircuitState = 'closed' | 'open' | 'half-open';

/**
 * Why a circuit opened: `consecutive_failures` in a row, failures reaching the
 * `error_rate` of the window, or a half-open probe that failed (`probe_failed`).
 */
export type CircuitOpenReason = 'consecutive_failures' | 'error_rate' | 'probe_failed';

/** A circuit that changed state, as `HealthTracker.record()` reports it. */
export type CircuitChange =
  | { readonly state: 'open'; readonly reason: CircuitOpenReason; readonly cooldownMs: number }
  | { readonly state: 'closed' };

const CLOSED: CircuitChange = { state: 'closed' };

/** Health keys of models without a tenant credential, per model object (see `HealthTracker.keyOf`). */
const SHARED_KEYS = new WeakMap<object, string>();

interface Deployment {
  successRate: number;
  latencyMs: number;
  samples: number;
  consecutiveFailures: number;
  /**
   * Outcomes of the last `window` attempts, a ring (1 for a failure): `recentCount` of them,
   * the next written at `recentNext`; `recentFailures` counts the 1s.
   */
  recent: Uint8Array;
  recentNext: number;
  recentCount: number;
  recentFailures: number;
  state: CircuitState;
  openUntil: number;
  /** Half-open: the one probe is out. */
  probing: boolean;
  /** What `view()` gives, made once and brought up to date at each view (strategies read it at once). */
  view: { successRate: number; latencyMs: number; samples: number; open: boolean } | undefined;
}

/**
 * Health per deployment (model × provider × credential): success rate and latency as
 * moving averages, and a circuit breaker. A circuit opens after `consecutiveFailures` in a
 * row, or when failures reach `errorRate` of the last `window` attempts; after `cooldownMs`
 * it lets exactly one probe through (half-open): success closes it, failure opens it again.
 * `record()` reports each change, so the caller, who knows the call, can emit
 * `circuit.opened` / `circuit.closed`. The clock is injected, so tests drive it without
 * sleeping.
 */
export class HealthTracker {
  private readonly deployments = new Map<string, Deployment>();
  /** The changes `record()` reports, built once: a change allocates nothing. */
  private readonly opened: Record<CircuitOpenReason, CircuitChange>;

  constructor(
    private readonly now: () => number,
    private readonly options: BreakerOptions = DEFAULT_BREAKER,
  ) {
    const { cooldownMs } = options;
    this.opened = {
      consecutive_failures: { state: 'open', reason: 'consecutive_failures', cooldownMs },
      error_rate: { state: 'open', reason: 'error_rate', cooldownMs },
      probe_failed: { state: 'open', reason: 'probe_failed', cooldownMs },
    };
  }

  /** The key of a deployment. */
  static key(modelId: string, provider: string, credentialId: string | undefined): string {
    return `${modelId}\u0000${provider}\u0000${credentialId ?? ''}`;
  }

  /**
   * `key(model.id, model.provider, credentialId)`, the same string each time for a model
   * without a tenant credential (memoized per model object: a new string would be hashed
   * again by every Map lookup).
   */
  static keyOf(
    model: { readonly id: string; readonly provider: string },
    credentialId: string | undefined,
  ): string {
    if (credentialId !== undefined) return HealthTracker.key(model.id, model.provider, credentialId);
    let key = SHARED_KEYS.get(model);
    if (key === undefined) {
      key = HealthTracker.key(model.id, model.provider, undefined);
      SHARED_KEYS.set(model, key);
    }
    return key;
  }

  /**
   * What strategies see, as of now: one object per deployment, updated at each view (no
   * allocation per call), so read it at once. `open` is true while calls would be refused
   * (open, or half-open with its probe out).
   */
  view(key: string): ModelHealth | undefined {
    const d = this.deployments.get(key);
    if (!d) return undefined;
    const open = !this.available(d);
    const view = d.view;
    if (view === undefined) {
      d.view = { successRate: d.successRate, latencyMs: d.latencyMs, samples: d.samples, open };
      return d.view;
    }
    view.successRate = d.successRate;
    view.latencyMs = d.latencyMs;
    view.samples = d.samples;
    view.open = open;
    return view;
  }

  /**
   * Asks to send an attempt. False while the circuit is open; the first caller after the
   * cooldown becomes the half-open probe, and every other caller is refused until the probe
   * is recorded.
   */
  tryAcquire(key: string): boolean {
    const d = this.deployments.get(key);
    if (!d || d.state === 'closed') return true;
    if (!this.available(d)) return false;
    d.state = 'half-open';
    d.probing = true;
    return true;
  }

  /**
   * Ends an acquired attempt that has no verdict (the caller aborted, a hedge lost, a
   * stream's reader stopped early): it neither helps nor hurts, but a half-open probe is
   * free again, so the next call after it may probe.
   */
  release(key: string): void {
    const d = this.deployments.get(key);
    if (d?.probing) d.probing = false;
  }

  /**
   * Records an attempt's outcome; `failure` is the classified code of a failed attempt.
   * Returns the circuit's change of state, if this outcome changed it: opened (and why), or
   * closed by a successful probe.
   */
  record(key: string, failure: ProviderErrorCode | undefined, latencyMs: number): CircuitChange | undefined {
    const d = this.deployment(key);
    const failed = failure !== undefined && HEALTH_FAILURES.has(failure);
    if (failure !== undefined && !failed) {
      // Not the deployment's fault: it neither helps nor hurts, but a probe is done.
      if (d.probing) d.probing = false;
      return undefined;
    }
    d.samples++;
    d.successRate =
      d.samples === 1 ? (failed ? 0 : 1) : d.successRate + ALPHA * ((failed ? 0 : 1) - d.successRate);
    // A failure's latency says little about the model's speed; keep latency to successes.
    if (!failed)
      d.latencyMs = d.latencyMs === 0 ? latencyMs : d.latencyMs + ALPHA * (latencyMs - d.latencyMs);
    const ring = d.recent;
    if (d.recentCount === ring.length) d.recentFailures -= ring[d.recentNext]!;
    else d.recentCount++;
    ring[d.recentNext] = failed ? 1 : 0;
    if (failed) d.recentFailures++;
    d.recentNext = (d.recentNext + 1) % ring.length;
    d.consecutiveFailures = failed ? d.consecutiveFailures + 1 : 0;

    if (d.state === 'half-open') {
      d.probing = false;
      if (failed) return this.open(d, 'probe_failed');
      this.close(d);
      return CLOSED;
    }
    if (!failed || d.state !== 'closed') return undefined;
    const reason = this.shouldOpen(d);
    return reason === undefined ? undefined : this.open(d, reason);
  }

  /** Why the circuit of a closed deployment that just failed should open, if it should. */
  private shouldOpen(d: Deployment): CircuitOpenReason | undefined {
    const { consecutiveFailures, errorRate, minSamples } = this.options;
    if (d.consecutiveFailures >= consecutiveFailures) return 'consecutive_failures';
    if (d.recentCount < minSamples) return undefined;
    return d.recentFailures / d.recentCount >= errorRate ? 'error_rate' : undefined;
  }

  private available(d: Deployment): boolean {
    if (d.state === 'closed') return true;
    if (d.state === 'half-open') return !d.probing;
    return this.now() >= d.openUntil;
  }

  private open(d: Deployment, reason: CircuitOpenReason): CircuitChange {
    d.state = 'open';
    d.openUntil = this.now() + this.options.cooldownMs;
    return this.opened[reason];
  }

  private close(d: Deployment): void {
    d.state = 'closed';
    d.consecutiveFailures = 0;
    d.recentNext = 0;
    d.recentCount = 0;
    d.recentFailures = 0;
  }

  private deployment(key: string): Deployment {
    let d = this.deployments.get(key);
    if (!d) {
      d = {
        successRate: 1,
        latencyMs: 0,
        samples: 0,
        consecutiveFailures: 0,
        recent: new Uint8Array(Math.max(1, this.options.window)),
        recentNext: 0,
        recentCount: 0,
        recentFailures: 0,
        state: 'closed',
        openUntil: 0,
        probing: false,
        view: undefined,
      };
      this.deployments.set(key, d);
    }
    return d;
  }
}
