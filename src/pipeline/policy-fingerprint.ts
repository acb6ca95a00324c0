import { createHash } from 'node:crypto';
import type { TenantPolicy } from './policy.js';

/** Per-process ids of the objects a fingerprint cannot read (a zod schema, a class instance). */
const identities = new WeakMap<object, number>();
let nextIdentity = 0;

/**
 * A digest of a merged policy that is the same on every router instance with the same
 * policy, whatever order they compiled their tenants in: the answer cache's key uses it, so
 * instances on one shared cache find each other's answers, and any change of the policy
 * (its defaults or tier included) misses them.
 *
 * SHA-256 over the policy's JSON with keys sorted; of `credentials`, only their ids (no API
 * key goes into a digest, and a rotated key keeps the tenant's entries); a function as its source
 * text; an object that is not plain data (a zod `outputSchema`) by its identity in this
 * process, so a tenant with one shares no entries with other instances, never a wrong one.
 */
export function policyFingerprint(policy: TenantPolicy): string {
  const { credentials, ...rest } = policy;
  const ids =
    credentials && Object.fromEntries(Object.entries(credentials).map(([entry, c]) => [entry, c.id]));
  return createHash('sha256')
    .update(stable(ids ? { ...rest, credentials: ids } : rest))
    .digest('hex');
}

function stable(value: unknown): string {
  if (typeof value === 'function') return JSON.stringify(`function:${value.toString()}`);
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stable).join(',')}]`;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    let id = identities.get(value);
    if (id === undefined) {
      id = ++nextIdentity;
      identities.set(value, id);
    }
    return JSON.stringify(`object:${id}`);
  }
  const record = value as Record<string, unknown>;
  const entries = Object.keys(record)
    .sort()
    .filter((k) => record[k] !== undefined)
    .map((k) => `${JSON.stringify(k)}:${stable(record[k])}`);
  return `{${entries.join(',')}}`;
}
