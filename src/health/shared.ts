import type { ProviderErrorCode } from '../errors.js';
import type { RouterEvents } from '../events/types.js';
import type { SharedCircuitOptions, SharedCircuitState, SharedCircuits } from '../store/circuits.js';
import type { ModelHealth } from '../strategies/types.js';
import { type BreakerOptions, type CircuitChange, HEALTH_FAILURES, type HealthTracker } from './tracker.js';

/** How often a router reads the shared state of the deployments it uses. */
export const CIRCUIT_SYNC_INTERVAL_MS = 1_000;
/** How long a half-open probe is held at most: a holder that dies frees it after this. */
export const PROBE_LEASE_MS = 30_000;
/** Sync rounds a closed, quiet deployment that no call has looked at is kept for (10 min). */
const IDLE_ROUNDS = 600;

/**
 * This router's view of a deployment's shared circuit. `open` until `openUntil`, then the
 * next call asks the store for the probe (`acquiring`); `probing` while this router holds
 * it; `held` while another router holds it (or this one's verdict is on its way): calls
 * are refused until the store says otherwise.
 */
type Mode = 'closed' | 'open' | 'acquiring' | 'probing' | 'held';

interface Entry {
  readonly key: string;
  mode: Mode;
  /** Mode `open`: on the router's clock. */
  openUntil: number;
  /** The window holds failures: successes are reported, not just counted. */
  failing: boolean;
  /** Successes not reported yet, since `pendingSince`. */
  pending: number;
  pendingSince: number;
  /** Looked at (a call ranked, tried or recorded it) since the last sync. */
  touched: boolean;
  idleRounds: number;
  /** The `openedAt` of the opening `circuit.opened` announced; 0 when closed. */
  announced: number;
}

/** Who the change of a record came from: the call whose attempt it was. */
export interface CircuitOrigin {
  readonly requestId: string;
  readonly tenant: string;
}

export interface SharedHealthOptions {
  breaker: BreakerOptions;
  now: () => number;
  emit<K extends 'circuit.opened' | 'circuit.closed'>(event: K, build: () => RouterEvents[K][0]): void;
  /** Default `CIRCUIT_SYNC_INTERVAL_MS`. */
  syncIntervalMs?: number;
}

/**
 * Circuit breakers shared through the store (`Store.circuits`), around this router's own
 * `HealthTracker`. The tracker keeps the moving averages strategies rank by, and is the
 * breaker whenever the store cannot be reached; while it can, the store's circuit decides.
 *
 * - A failure that counts is reported at once; a success only while the window holds
 *   failures or a probe is out (else it is counted and sent with the next report), so a
 *   healthy deployment costs no round trip per call.
 * - The reply to a report, and a sync every second (one round trip for the deployments
 *   this router has looked at since, or that are not closed), bring the shared state: a
 *   circuit another router opened is skipped here within about a second.
 * - After the cooldown the first call asks the store for the probe (atomic, one router
 *   wins); everyone else refuses until the probe's verdict closes or re-opens it.
 * - `circuit.opened` / `circuit.closed` fire when this router's view changes; a change it
 *   learned from the store has `shared: true`.
 * - A store failure (reported by the store as `store.error`) switches to the local breaker
 *   until a sync succeeds again; no call fails because of it.
 */
export class SharedHealth {
  private readonly entries = new Map<string, Entry>();
  private readonly thresholds: SharedCircuitOptions;
  private online = true;
  private syncing = false;
  private timer: ReturnType<typeof setInterval> | undefined;
  private closed = false;

  constructor(
    private readonly local: HealthTracker,
    private readonly circuits: SharedCircuits,
    private readonly options: SharedHealthOptions,
  ) {
    const { consecutiveFailures, errorRate, minSamples, cooldownMs, windowMs } = options.breaker;
    this.thresholds = { consecutiveFailures, errorRate, minSamples, cooldownMs, windowMs };
  }

  view(key: string): ModelHealth | undefined {
    const health = this.local.view(key);
    if (!this.online) return health;
    const open = this.refuses(this.entry(key));
    if (health === undefined) return open ? { successRate: 1, latencyMs: 0, samples: 0, open } : undefined;
    return health.open === open ? health : { ...health, open };
  }

  tryAcquire(key: string): boolean | Promise<boolean> {
    if (!this.online) return this.local.tryAcquire(key);
    const e = this.entry(key);
    if (e.mode === 'closed') return true;
    if (e.mode !== 'open' || this.options.now() < e.openUntil) return false;
    e.mode = 'acquiring';
    return this.circuits.acquireProbe(key, PROBE_LEASE_MS).then(
      (answer) => {
        if (e.mode !== 'acquiring') return false;
        if (answer === 'probe') e.mode = 'probing';
        else if (answer === 'closed') this.closeShared(e, undefined);
        else e.mode = 'held';
        return answer !== 'refused';
      },
      () => {
        this.online = false;
        e.mode = 'open';
        e.openUntil = 0;
        return this.local.tryAcquire(key);
      },
    );
  }

  release(key: string): void {
    this.local.release(key);
    const e = this.entries.get(key);
    if (e?.mode === 'probing') this.releaseProbe(e);
  }

  record(
    key: string,
    failure: ProviderErrorCode | undefined,
    latencyMs: number,
    origin?: CircuitOrigin,
  ): CircuitChange | undefined {
    const change = this.local.record(key, failure, latencyMs);
    if (!this.online) return change;
    const e = this.entry(key);
    const probe = e.mode === 'probing';
    if (failure !== undefined && !HEALTH_FAILURES.has(failure)) {
      // Not the deployment's fault: no verdict, but the probe is done.
      if (probe) this.releaseProbe(e);
      return undefined;
    }
    const now = this.options.now();
    if (failure === undefined && !probe && !e.failing && e.mode === 'closed') {
      if (e.pending === 0 || now - e.pendingSince > this.thresholds.windowMs) {
        e.pending = 0;
        e.pendingSince = now;
      }
      e.pending++;
      return undefined;
    }
    const successes = e.pending + (failure === undefined ? 1 : 0);
    e.pending = 0;
    if (probe) e.mode = 'held';
    this.circuits
      .record(key, { successes, ...(failure !== undefined && { failure }), probe }, this.thresholds)
      .then(
        (state) => this.apply(e, state, state.changed === true ? origin : undefined),
        () => {
          this.online = false;
          if (probe) e.mode = 'open';
        },
      );
    return undefined;
  }

  /** Stops the sync. */
  dispose(): void {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Reads the shared state of the deployments in use; a success brings the router back online. */
  async sync(): Promise<void> {
    if (this.syncing) return;
    const batch: Entry[] = [];
    for (const e of this.entries.values()) {
      if (e.touched || e.mode !== 'closed' || e.failing || e.pending > 0) {
        e.touched = false;
        e.idleRounds = 0;
        batch.push(e);
      } else if (++e.idleRounds > IDLE_ROUNDS) this.entries.delete(e.key);
    }
    if (batch.length === 0) return;
    this.syncing = true;
    try {
      const states = await this.circuits.read(
        batch.map((e) => e.key),
        this.thresholds.windowMs,
      );
      this.online = true;
      for (let i = 0; i < batch.length; i++) this.apply(batch[i]!, states[i]!, undefined);
    } catch {
      this.online = false;
    } finally {
      this.syncing = false;
    }
  }

  private refuses(e: Entry): boolean {
    if (e.mode === 'closed') return false;
    return e.mode !== 'open' || this.options.now() < e.openUntil;
  }

  /** Takes in the store's state; `origin` when this router's report changed it. */
  private apply(e: Entry, state: SharedCircuitState, origin: CircuitOrigin | undefined): void {
    e.failing = state.failing;
    // Asking for the probe: its answer decides.
    if (e.mode === 'acquiring') return;
    if (state.state === 'closed') {
      this.closeShared(e, origin);
      return;
    }
    // Holding the probe for this opening: the verdict will tell.
    if (e.mode === 'probing' && state.retryInMs === 0) return;
    if (state.state === 'half-open') e.mode = 'held';
    else {
      e.mode = 'open';
      e.openUntil = this.options.now() + state.retryInMs;
    }
    if (state.openedAt === e.announced) return;
    e.announced = state.openedAt;
    this.options.emit('circuit.opened', () => ({
      ...this.eventBase(e.key, origin),
      reason: state.reason ?? 'consecutive_failures',
      cooldownMs: state.retryInMs,
      errorCode: (state.errorCode ?? 'server_error') as ProviderErrorCode,
    }));
  }

  private closeShared(e: Entry, origin: CircuitOrigin | undefined): void {
    e.mode = 'closed';
    if (e.announced === 0) return;
    e.announced = 0;
    this.options.emit('circuit.closed', () => this.eventBase(e.key, origin));
  }

  private releaseProbe(e: Entry): void {
    // Another call may take the probe at once; the store frees it (or the lease ends).
    e.mode = 'open';
    e.openUntil = 0;
    this.circuits.releaseProbe(e.key).catch(() => {
      this.online = false;
    });
  }

  private eventBase(key: string, origin: CircuitOrigin | undefined) {
    const [model = '', provider = '', credentialId = ''] = key.split('\u0000');
    return {
      ...(origin !== undefined && { requestId: origin.requestId, tenant: origin.tenant }),
      timestamp: this.options.now(),
      model,
      provider,
      ...(credentialId !== '' && { credentialId }),
      ...(origin === undefined && { shared: true as const }),
    };
  }

  private entry(key: string): Entry {
    let e = this.entries.get(key);
    if (e === undefined) {
      e = {
        key,
        mode: 'closed',
        openUntil: 0,
        failing: false,
        pending: 0,
        pendingSince: 0,
        touched: true,
        idleRounds: 0,
        announced: 0,
      };
      this.entries.set(key, e);
      this.startSync();
    } else e.touched = true;
    return e;
  }

  private startSync(): void {
    if (this.timer !== undefined || this.closed) return;
    this.timer = setInterval(() => void this.sync(), this.options.syncIntervalMs ?? CIRCUIT_SYNC_INTERVAL_MS);
    this.timer.unref?.();
  }
}
