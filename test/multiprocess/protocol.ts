/** The IPC messages between the multi-process harness (harness.ts) and its workers (worker.ts). */
import type {
  AuditRecord,
  ChatRequest,
  ModelSpec,
  RouterConfig,
  StoreErrorEvent,
  TenantPolicy,
  TenantUsage,
} from '../../src/index.js';

/** How a worker builds its router: JSON, in its environment (`ROUTEPLANE_WORKER`). */
export interface WorkerConfig {
  redisPort: number;
  providers: RouterConfig['providers'];
  models: ModelSpec[];
  tenants: Record<string, TenantPolicy>;
  /** Added to `Date.now()` for the router's `clock`: a skewed host clock. Default 0. */
  clockOffsetMs?: number;
  /** The Redis store's `timeoutMs`. */
  storeTimeoutMs?: number;
  /** The router's `leaseMs`: how long a reservation lives unless renewed. */
  leaseMs?: number;
  settleRetry?: RouterConfig['settleRetry'];
}

/** The outcome of one call, as the worker saw it. */
export type CallResult =
  | { ok: true; id: string; text: string; ms: number }
  | { ok: false; code: string; message: string; ms: number };

export type ToWorker =
  /**
   * Runs `calls` calls of `request`, `concurrency` at a time (default all at once), and
   * stops issuing new ones after `durationMs` when given.
   */
  | {
      type: 'run';
      run: number;
      calls: number;
      concurrency?: number;
      durationMs?: number;
      request: ChatRequest;
    }
  | { type: 'usage'; ask: number; tenant: string }
  | { type: 'close' };

export type ToParent =
  | { type: 'ready'; pid: number }
  | { type: 'audit'; record: AuditRecord }
  | { type: 'store.error'; event: StoreErrorEvent }
  | { type: 'result'; run: number; result: CallResult }
  | { type: 'done'; run: number }
  | { type: 'usage'; ask: number; usage?: TenantUsage; error?: string }
  | { type: 'closed' }
  | { type: 'crash'; message: string };
