/** A concurrency slot held by one call. `release()` frees it; a second call does nothing. */
export interface Slot {
  readonly tenant: string;
  release(): void;
}

/** Options of a `FairQueue`. */
export interface FairQueueOptions {
  /** Calls in flight at most, across all tenants. */
  maxInFlight: number;
  /** Calls waiting at most per tenant; one more is refused. */
  maxQueuePerTenant: number;
  /** Monotonic milliseconds, for the hold-time estimate. Default `performance.now`. */
  clock?: () => number;
}

/** A call waiting for a slot. */
interface Waiter {
  readonly seq: number;
  readonly weight: number;
  readonly grant: () => void;
}

/** A tenant's queue and its place in virtual time. */
interface TenantState {
  readonly id: string;
  /** Start tag of the tenant's next call: advances by 1/weight per call served from the queue. */
  vtime: number;
  /** The weight of its latest call. */
  weight: number;
  queue: Waiter[];
  /** Its calls holding a slot. */
  running: number;
}

/** Smoothing of the slot hold-time average. */
const HOLD_ALPHA = 0.2;
/** Idle tenant states are kept while the queue knows at most this many tenants; beyond, an idle state goes. */
const IDLE_KEPT = 256;

/**
 * A router-wide concurrency cap with weighted fair queuing across tenants (start-time fair
 * queuing). While a slot is free and nobody waits, a call takes it at once. Otherwise it
 * waits in its tenant's FIFO queue; each freed slot goes straight to the head of the
 * non-empty queue with the smallest virtual time, and serving a call of tenant `t`
 * advances `t`'s virtual time by `1 / weight`. So backlogged tenants are served in
 * proportion to their weights, whatever their arrival order. A tenant whose queue was
 * empty restarts at `max(its virtual time, the virtual time of the last call served)`: it
 * cannot bank credit while idle and then take a burst of slots.
 *
 * Invariant: calls wait only while every slot is taken (a freed slot is handed over
 * synchronously), so `queued > 0` implies `inFlight === maxInFlight`.
 */
export class FairQueue {
  private readonly maxInFlight: number;
  private readonly maxQueuePerTenant: number;
  private readonly clock: () => number;
  private readonly tenants = new Map<string, TenantState>();
  /** Tenants with a non-empty queue. */
  private readonly active = new Set<TenantState>();
  /** Virtual time of the last call served from a queue. */
  private virtualTime = 0;
  private seq = 0;
  private running = 0;
  private waiting = 0;
  /** Average time a slot is held, in ms; undefined before the first release. */
  private holdMs: number | undefined;

  constructor(options: FairQueueOptions) {
    this.maxInFlight = options.maxInFlight;
    this.maxQueuePerTenant = options.maxQueuePerTenant;
    this.clock = options.clock ?? (() => performance.now());
  }

  /** Calls holding a slot. */
  get inFlight(): number {
    return this.running;
  }

  /** Calls waiting for a slot, across tenants. */
  get queued(): number {
    return this.waiting;
  }

  /** The tenant's calls in flight plus queued. */
  load(tenant: string): number {
    const state = this.tenants.get(tenant);
    return state ? state.running + state.queue.length : 0;
  }

  /** The tenant with the most calls in flight plus queued, and that load. */
  heaviest(): { tenant: string; load: number } | undefined {
    let best: TenantState | undefined;
    let bestLoad = 0;
    for (const state of this.tenants.values()) {
      const load = state.running + state.queue.length;
      if (load > bestLoad) {
        best = state;
        bestLoad = load;
      }
    }
    return best && { tenant: best.id, load: bestLoad };
  }

  /** The tenant's calls waiting. */
  queuedOf(tenant: string): number {
    return this.tenants.get(tenant)?.queue.length ?? 0;
  }

  /** Takes a slot at once when one is free and nobody waits; undefined otherwise. */
  tryAcquire(tenant: string): Slot | undefined {
    if (this.running >= this.maxInFlight || this.waiting > 0) return undefined;
    const state = this.stateOf(tenant);
    this.running++;
    state.running++;
    return this.slot(state);
  }

  /**
   * Waits in the tenant's queue for a slot. Undefined (nothing queued) when the tenant
   * already has `maxQueuePerTenant` calls waiting. The promise resolves with the slot, now
   * held by the caller; it rejects with `signal.reason` when the signal aborts first, and
   * the call leaves the queue at once.
   */
  enqueue(tenant: string, weight: number, signal?: AbortSignal): Promise<Slot> | undefined {
    const existing = this.tenants.get(tenant);
    if ((existing?.queue.length ?? 0) >= this.maxQueuePerTenant) return undefined;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const state = existing ?? this.stateOf(tenant);
    return new Promise<Slot>((resolve, reject) => {
      const onAbort = () => {
        const at = state.queue.indexOf(waiter);
        if (at >= 0) {
          state.queue.splice(at, 1);
          this.waiting--;
          if (state.queue.length === 0) this.deactivate(state);
        }
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        seq: this.seq++,
        weight,
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.slot(state));
        },
      };
      if (state.queue.length === 0) {
        // Becoming active: no credit banked while idle.
        state.vtime = Math.max(state.vtime, this.virtualTime);
        this.active.add(state);
      }
      state.weight = weight;
      state.queue.push(waiter);
      this.waiting++;
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * Estimated ms until the tenant's next queued call starts: slots free every
   * `holdMs / maxInFlight` ms on average, and the tenant gets `weight / Σ weights` of them.
   * Undefined before any slot has been released (no hold time known yet).
   */
  estimateWaitMs(tenant: string, weight: number): number | undefined {
    if (this.holdMs === undefined) return undefined;
    const own = this.tenants.get(tenant);
    let total = own && this.active.has(own) ? 0 : weight;
    for (const state of this.active) total += state.weight;
    return Math.ceil((this.holdMs / this.maxInFlight) * (total / weight));
  }

  private stateOf(tenant: string): TenantState {
    let state = this.tenants.get(tenant);
    if (!state) {
      state = { id: tenant, vtime: this.virtualTime, weight: 1, queue: [], running: 0 };
      this.tenants.set(tenant, state);
    }
    return state;
  }

  private slot(state: TenantState): Slot {
    const started = this.clock();
    let held = true;
    return {
      tenant: state.id,
      release: () => {
        if (!held) return;
        held = false;
        const heldMs = this.clock() - started;
        this.holdMs = this.holdMs === undefined ? heldMs : this.holdMs + HOLD_ALPHA * (heldMs - this.holdMs);
        state.running--;
        this.running--;
        this.forget(state);
        this.dispatch();
      },
    };
  }

  /** Hands free slots to waiters, by smallest virtual time (ties: arrival order). */
  private dispatch(): void {
    while (this.running < this.maxInFlight && this.waiting > 0) {
      let next: TenantState | undefined;
      for (const state of this.active) {
        if (
          !next ||
          state.vtime < next.vtime ||
          (state.vtime === next.vtime && state.queue[0]!.seq < next.queue[0]!.seq)
        )
          next = state;
      }
      const state = next!;
      const waiter = state.queue.shift()!;
      this.waiting--;
      this.virtualTime = state.vtime;
      state.vtime += 1 / waiter.weight;
      if (state.queue.length === 0) this.deactivate(state);
      this.running++;
      state.running++;
      waiter.grant();
    }
  }

  private deactivate(state: TenantState): void {
    this.active.delete(state);
    this.forget(state);
  }

  /**
   * Drops an idle tenant's state (or keeps it, while few are known) when it carries nothing a fresh one would not: its
   * virtual time is not ahead of the global one, or nobody waits at all (then a debt of at
   * most one call is forgiven).
   */
  private forget(state: TenantState): void {
    if (state.running > 0 || state.queue.length > 0) return;
    if (state.vtime <= this.virtualTime || this.waiting === 0) {
      // A few idle states are kept (reset to what a fresh one would be), so a tenant calling
      // one call at a time does not make and drop its state on every call.
      if (this.tenants.size > IDLE_KEPT) this.tenants.delete(state.id);
      else if (state.vtime > this.virtualTime) state.vtime = this.virtualTime;
    }
  }
}
