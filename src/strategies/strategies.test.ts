import { describe, expect, it } from 'vitest';
import { resolveModel } from '../catalog/catalog.js';
import { balanced, DEFAULT_BALANCED_WEIGHTS } from './balanced.js';
import { forceModel } from './force-model.js';
import { lowestCost } from './lowest-cost.js';
import { maxReliability } from './max-reliability.js';
import type { Candidate, ModelHealth, StrategyInput } from './types.js';

function candidate(id: string, estCostUsd: number, quality: number): Candidate {
  const model = resolveModel({ id, provider: 'p', quality, pricing: { inputPerMTok: 1, outputPerMTok: 1 } });
  return { model, inputTokens: 10, maxTokens: 10, estCostUsd };
}

const noHealth = () => undefined;
const input = (candidates: Candidate[], extra: Partial<StrategyInput> = {}): StrategyInput => ({
  candidates,
  weights: { ...DEFAULT_BALANCED_WEIGHTS },
  health: noHealth,
  ...extra,
});
const ids = (ranked: { candidate: Candidate }[]) => ranked.map((r) => r.candidate.model.id);

const cheap = candidate('cheap', 0.001, 0.5);
const mid = candidate('mid', 0.01, 0.8);
const dear = candidate('dear', 0.1, 0.95);

describe('strategies', () => {
  it('return nothing for an empty candidate set', () => {
    for (const strategy of [forceModel, lowestCost, balanced, maxReliability]) {
      expect(strategy(input([], { forced: 'x' }))).toEqual([]);
    }
  });

  it('force_model puts the forced model first, then only the policy fallbacks, in their order', () => {
    const ranked = forceModel(
      input([cheap, mid, dear], { forced: 'dear', fallbacks: ['cheap', 'unknown', 'dear'] }),
    );
    expect(ids(ranked)).toEqual(['dear', 'cheap']);
  });

  it('force_model falls to the fallbacks when the forced model is not a candidate', () => {
    expect(ids(forceModel(input([cheap, mid], { forced: 'dear', fallbacks: ['mid'] })))).toEqual(['mid']);
  });

  it('lowest_cost ranks by estimated cost and breaks ties by quality, then id', () => {
    const twin = candidate('twin', 0.001, 0.9);
    const twin2 = candidate('a-twin', 0.001, 0.9);
    expect(ids(lowestCost(input([dear, cheap, mid, twin, twin2])))).toEqual([
      'a-twin',
      'twin',
      'cheap',
      'mid',
      'dear',
    ]);
    expect(lowestCost(input([cheap, mid]))[0]!.score).toBe(1);
  });

  it('balanced prefers the better model at a moderate price over the cheapest and the best', () => {
    const ranked = balanced(input([cheap, candidate('good-value', 0.004, 0.9), dear]));
    expect(ids(ranked)[0]).toBe('good-value');
  });

  it('balanced with only a cost weight ranks like lowest_cost', () => {
    const weights = { cost: 1, quality: 0, latency: 0, health: 0 };
    expect(ids(balanced(input([dear, mid, cheap], { weights })))).toEqual(['cheap', 'mid', 'dear']);
  });

  it('balanced demotes a model with a poor observed success rate', () => {
    const health = (id: string): ModelHealth | undefined =>
      id === 'mid' ? { successRate: 0, latencyMs: 100, samples: 10, open: false } : undefined;
    const weights = { cost: 0, quality: 0, latency: 0, health: 1 };
    expect(ids(balanced(input([mid, cheap], { weights, health })))[0]).toBe('cheap');
  });

  it('balanced scores lie in 0..1 and ties fall to the cheaper model', () => {
    const a = candidate('a', 0.002, 0.7);
    const b = candidate('b', 0.001, 0.7);
    const ranked = balanced(input([a, b], { weights: { cost: 0, quality: 1, latency: 0, health: 0 } }));
    expect(ids(ranked)).toEqual(['b', 'a']);
    for (const r of ranked) expect(r.score).toBeGreaterThanOrEqual(0);
    for (const r of ranked) expect(r.score).toBeLessThanOrEqual(1);
  });

  it('max_reliability with no history ranks by quality, then cost', () => {
    const twin = candidate('twin', 0.0001, 0.95);
    expect(ids(maxReliability(input([cheap, dear, mid, twin])))).toEqual(['twin', 'dear', 'mid', 'cheap']);
  });

  it('max_reliability ranks by observed success rate once there is history', () => {
    const health = (id: string): ModelHealth | undefined =>
      id === 'dear' ? { successRate: 0.5, latencyMs: 100, samples: 20, open: false } : undefined;
    expect(ids(maxReliability(input([cheap, dear, mid], { health })))).toEqual(['mid', 'cheap', 'dear']);
  });
});
