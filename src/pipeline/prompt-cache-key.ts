import { createHash } from 'node:crypto';

const keys = new Map<string, string>();
/** Bounds the memo: tenant ids come from callers, and a map must not grow without end. */
const MAX_KEYS = 10_000;

/**
 * The tenant's prompt-cache key for OpenAI (`prompt_cache_key`): `rp-` and the first 32
 * hex digits of SHA-256 over `routeplane:` and the tenant id. The same on every instance,
 * so the tenant's calls share OpenAI's cache routing wherever they run; a pseudonym, so
 * the tenant id (a customer name, an email) is not sent to the provider. It is not a
 * secret: anyone who can guess an id can compute its key. Memoized per tenant.
 */
export function promptCacheKey(tenant: string): string {
  let key = keys.get(tenant);
  if (key === undefined) {
    key = `rp-${createHash('sha256').update(`routeplane:${tenant}`).digest('hex').slice(0, 32)}`;
    if (keys.size >= MAX_KEYS) keys.clear();
    keys.set(tenant, key);
  }
  return key;
}
