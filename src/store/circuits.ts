/**
 * Circuit breakers shared by many router instances (an optional part of `Store`, see
 * `Store.circuits`). A deployment (model × provider entry × credential id) that keeps
 * failing opens for every instance on the store, and after its cooldown exactly one
 * instance takes the half-open probe.
 *
 * The store keeps, per deployment, the failures and attempts of a sliding time window
 * (on the store's own clock), the consecutive failures, and whether the circuit is open
 * and until when. Routers only report what changes the picture: every failure that counts
 * (see `BreakerOptions`), and successes only while the window holds failures or a probe
 * is out; the successes in between are counted locally and sent with the next report.
 */

/** The thresholds of the shared breaker: the router's `BreakerOptions`. */
export interface SharedCircuitOptions {
  /** Consecutive failures (across instances) that open the circuit. */
  consecutiveFailures: number;
  /** Failure share over the window that opens it, with at least `minSamples` attempts in the window. */
  errorRate: number;
  minSamples: number;
  /** How long the circuit stays open before one probe may be taken. */
  cooldownMs: number;
  /** The sliding time window failures and attempts are counted over. */
  windowMs: number;
}

/** What one instance reports about one deployment since its last report. */
export interface CircuitReport {
  /** Successes since the last report (including the attempt reported, if it succeeded). */
  successes: number;
  /** The classified code of the reported attempt, when it failed in a way that counts. */
  failure?: string;
  /** The reported attempt was the half-open probe this store holds: its verdict closes or re-opens. */
  probe?: boolean;
}

/** Why a shared circuit opened (as `CircuitOpenReason`). */
export type SharedOpenReason = 'consecutive_failures' | 'error_rate' | 'probe_failed';

/** A deployment's circuit as the store sees it. */
export interface SharedCircuitState {
  /**
   * `closed`; `open` (calls are refused; once `retryInMs` is 0 one instance may take the
   * probe); `half-open` (an instance holds the probe; everyone else still refuses).
   */
  state: 'closed' | 'open' | 'half-open';
  /** Open: ms of cooldown left, on the store's clock (0 once a probe may be taken). Else 0. */
  retryInMs: number;
  /**
   * The window holds failures (or the circuit is not closed): report successes now, since
   * they reset the consecutive count and dilute the error rate.
   */
  failing: boolean;
  /** Open or half-open: when it opened, on the store's clock (an id of this opening). Else 0. */
  openedAt: number;
  /** Open or half-open: why, and the classified failure that opened it. */
  reason?: SharedOpenReason;
  errorCode?: string;
  /** `record()` only: this report opened or closed the circuit. */
  changed?: boolean;
}

/**
 * Shared circuit state. Each method is one atomic round trip. Keys are the router's
 * deployment keys (model id, provider entry and credential id: never an API key); the
 * store namespaces them. A method that rejects is reported by the store (`onError`), and
 * the router falls back to its own breaker: a call never fails because of it.
 */
export interface SharedCircuits {
  /** Adds a report to the deployment's window, opens or closes the circuit as it dictates, returns the state after. */
  record(key: string, report: CircuitReport, options: SharedCircuitOptions): Promise<SharedCircuitState>;
  /** The state of each deployment, in order (a closed, empty state for one the store does not know). */
  read(keys: readonly string[], windowMs: number): Promise<SharedCircuitState[]>;
  /**
   * Takes the half-open probe of a deployment whose cooldown has ended, for `ttlMs` (a
   * lease: a holder that dies frees it then). `probe`: this store holds it now; `refused`:
   * the circuit is still cooling down or another holds the probe; `closed`: the circuit
   * closed meanwhile, so the attempt may go as any other.
   */
  acquireProbe(key: string, ttlMs: number): Promise<'probe' | 'refused' | 'closed'>;
  /** Gives back a probe this store holds that ended without a verdict (aborted, cancelled). */
  releaseProbe(key: string): Promise<void>;
}
