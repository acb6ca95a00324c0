import type { ModelHealth } from '../strategies/types.js';

/** Weight of the newest sample in the moving averages. */
const ALPHA = 0.2;

interface MutableHealth {
  successRate: number;
  latencyMs: number;
  samples: number;
  open: boolean;
}

/**
 * Per-model success rate and latency as exponentially weighted moving averages, fed by
 * every attempt. Read by `balanced` and `max_reliability`.
 */
export class HealthTracker {
  private readonly byModel = new Map<string, MutableHealth>();

  readonly view = (modelId: string): ModelHealth | undefined => this.byModel.get(modelId);

  record(modelId: string, ok: boolean, latencyMs: number): void {
    const h = this.byModel.get(modelId);
    if (!h) {
      this.byModel.set(modelId, { successRate: ok ? 1 : 0, latencyMs, samples: 1, open: false });
      return;
    }
    h.successRate += ALPHA * ((ok ? 1 : 0) - h.successRate);
    // A failure's latency says little about the model's speed; keep latency to successes.
    if (ok) h.latencyMs += ALPHA * (latencyMs - h.latencyMs);
    h.samples++;
  }
}
