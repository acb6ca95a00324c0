/**
 * A tenant id, user id or tag as a part of a store key: URL-encoded, so no id can carry
 * the `{`, `}` or `:` that delimit keys. Two tenants never share a key (`a}:x` is not `a`
 * with a suffix), and on Redis Cluster the hash tag `{…}` is always the whole tenant id.
 * Ids made of letters, digits and `-_.!~*'()` are unchanged.
 */
export function keyPart(id: string): string {
  return encodeURIComponent(id);
}
