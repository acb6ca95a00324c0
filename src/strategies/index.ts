import type { StrategyName } from '../types.js';
import { balanced } from './balanced.js';
import { forceModel } from './force-model.js';
import { lowestCost } from './lowest-cost.js';
import { maxReliability } from './max-reliability.js';
import type { Strategy } from './types.js';

/** The strategy functions by name. */
export const STRATEGIES: Readonly<Record<StrategyName, Strategy>> = {
  force_model: forceModel,
  lowest_cost: lowestCost,
  balanced,
  max_reliability: maxReliability,
};
