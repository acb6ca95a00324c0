import { utf8Bytes } from '../catalog/estimate.js';

/**
 * Splits texts into consecutive batches of at most `maxInputs` texts and, when `maxTokens`
 * is given, at most that many input tokens by the UTF-8 bound (a byte never holds more than
 * one token), so no batch is over a provider's limit. A single text over `maxTokens` gets a
 * batch of its own (the provider then says whether it fits its per-text limit). Order is kept.
 *
 * @example
 * ```ts
 * [...embedBatches(['a', 'b', 'c'], 2)]; // [['a', 'b'], ['c']]
 * ```
 */
export function* embedBatches(
  input: readonly string[],
  maxInputs: number,
  maxTokens?: number,
): Generator<string[]> {
  let batch: string[] = [];
  let tokens = 0;
  for (const text of input) {
    const bound = maxTokens === undefined ? 0 : utf8Bytes(text);
    if (
      batch.length > 0 &&
      (batch.length >= maxInputs || (maxTokens !== undefined && tokens + bound > maxTokens))
    ) {
      yield batch;
      batch = [];
      tokens = 0;
    }
    batch.push(text);
    tokens += bound;
  }
  if (batch.length > 0) yield batch;
}
