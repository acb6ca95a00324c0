/**
 * A tenant id, user id or tag as a part of a store key: URL-encoded, so no id can carry
 * the `{`, `}` or `:` that delimit keys. Two tenants never share a key (`a}:x` is not `a`
 * with a suffix), and on Redis Cluster the hash tag `{…}` is always the whole tenant id.
 * Ids made of letters, digits and `-_.!~*'()` are unchanged.
 */
export function keyPart(id: string): string {
  // Most ids need no encoding: return them as they are, without a new string.
  for (let i = 0; i < id.length; i++) if (!UNRESERVED[id.charCodeAt(i)]) return encodeURIComponent(id);
  return id;
}

/** The ASCII characters `encodeURIComponent` leaves as they are: letters, digits and `-_.!~*'()`. */
const UNRESERVED = (() => {
  const table = new Uint8Array(128);
  for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.!~*'()")
    table[c.charCodeAt(0)] = 1;
  return table;
})();

/**
 * `s` as one flat string in V8's heap, for a string kept long (a map key, an id). A string
 * built by concatenation (a template literal, `crypto.randomUUID()`) is a tree of pieces, 32
 * bytes a node, until something reads it by index: reading one character flattens it in
 * place, and the collector then drops the tree. A UUID goes from about 500 bytes to 56.
 */
export function flatString(s: string): string {
  s.charCodeAt(0);
  return s;
}
