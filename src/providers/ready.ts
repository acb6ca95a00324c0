import { RouterError, redactSecrets } from '../errors.js';
import type { ProviderAdapter } from './types.js';

/**
 * Waits for every adapter to be ready; returns one `invalid_config` error naming each entry
 * that cannot serve calls (its SDK package missing, its client refused), or undefined.
 */
export async function loadAdapters(
  adapters: ReadonlyMap<string, ProviderAdapter>,
): Promise<RouterError | undefined> {
  const entries = [...adapters];
  const outcomes = await Promise.allSettled(entries.map(([, adapter]) => adapter.ready?.()));
  const problems: string[] = [];
  outcomes.forEach((outcome, i) => {
    if (outcome.status === 'fulfilled') return;
    const reason: unknown = outcome.reason;
    const detail = redactSecrets(reason instanceof Error ? reason.message : String(reason));
    problems.push(`providers.${entries[i]![0]} cannot be used: ${detail}`);
  });
  return problems.length === 0 ? undefined : new RouterError('invalid_config', problems.join('; '));
}
