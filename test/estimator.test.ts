import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { actualTokens, loadPrompts } from '../bench/sample.js';
import { estimateInputTokens } from '../src/catalog/estimate.js';

// The estimate is what budgets reserve, so it must never be below the real count. Checked with
// o200k_base (GPT-4o and later) over the fixed sample that bench/estimator.ts measures; the
// bench also checks the Claude and Mistral tokenizers and reports how loose the bound is.
const prompts = loadPrompts();

describe('estimateInputTokens is an upper bound on o200k_base counts', () => {
  it('loads the whole sample', () => {
    expect(prompts.length).toBeGreaterThanOrEqual(40);
  });

  it.each(prompts.map((prompt) => [prompt.id, prompt] as const))('%s', (_id, prompt) => {
    expect(estimateInputTokens(prompt.messages)).toBeGreaterThanOrEqual(actualTokens(prompt, countTokens));
  });
});
