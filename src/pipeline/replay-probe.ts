import type { ResolvedModel } from '../catalog/types.js';
import type { RouteDecision } from '../events/types.js';
import type { StrategyName } from '../types.js';
import type { RequiredCapability } from './estimate.js';
import type { EffectivePolicy } from './policy.js';

/**
 * The key of a router's replay probe. `Symbol.for`, not a module symbol: the replay
 * subpath and the main entry are bundled apart, and a router built by either must answer.
 */
export const REPLAY_PROBE: unique symbol = Symbol.for('routeplane.replayProbe') as never;

/** A recorded call, as the probe takes it: its features, without a prompt. */
export interface ReplayCall {
  tenant: string;
  user?: string;
  role?: string;
  tags?: Record<string, string>;
  strategy?: StrategyName;
  forceModel?: string;
  maxTokens?: number;
  maxCost?: number;
  inputTokens: number;
  needs: readonly RequiredCapability[];
}

/** What the probe answers: the decision `explain()` would give, and what a replay prices and limits with. */
export interface ReplayProbeResult {
  decision: RouteDecision;
  /** The tenant after the host's `resolveTenant`. */
  tenant: string;
  /** The ranked candidates, in fallback order, with the reservation each would take (nano-USD). */
  ranked: { model: ResolvedModel; estCostNano: number }[];
  policy: EffectivePolicy;
  defaultMaxTokens: number;
}

/** A router that can replay: every router `createRouter()` builds. */
export interface ReplayProbe {
  [REPLAY_PROBE](call: ReplayCall): Promise<ReplayProbeResult>;
}
