/**
 * A set of string ids held as two independent 32-bit hashes in a typed array (open
 * addressing, linear probing): no string is retained, so a set of 50,000 recent ids costs
 * the garbage collector nothing, where a `Map` of them would be promoted to the old
 * generation and swept again and again. Two ids are taken as equal when both hashes agree:
 * with 64 bits, a false match among 100,000 ids has a chance of about 1 in 10^14 per lookup.
 *
 * It grows as ids come, up to `maxSize`: `add` beyond it is refused (returns false) and
 * the caller starts a new set (see the memory store's two generations).
 */
export class IdHashSet {
  #slots = new Uint32Array(2 * 64);
  #mask = 63;
  #size = 0;

  constructor(readonly maxSize: number) {}

  get size(): number {
    return this.#size;
  }

  has(id: string): boolean {
    const h1 = hashA(id);
    const h2 = hashB(id);
    const slots = this.#slots;
    for (let i = h1 & this.#mask; ; i = (i + 1) & this.#mask) {
      const a = slots[2 * i]!;
      if (a === 0) return false;
      if (a === h1 && slots[2 * i + 1] === h2) return true;
    }
  }

  /** Adds `id`; false when the set is full (nothing is added then). */
  add(id: string): boolean {
    if (this.#size >= this.maxSize) return false;
    // At most ~40% full: short probe runs.
    if (this.#size >= (this.#mask + 1) * 0.4) this.#grow();
    const h1 = hashA(id);
    const h2 = hashB(id);
    const slots = this.#slots;
    for (let i = h1 & this.#mask; ; i = (i + 1) & this.#mask) {
      const a = slots[2 * i]!;
      if (a === 0) {
        slots[2 * i] = h1;
        slots[2 * i + 1] = h2;
        this.#size++;
        return true;
      }
      if (a === h1 && slots[2 * i + 1] === h2) return true;
    }
  }

  #grow(): void {
    const old = this.#slots;
    const capacity = 2 * (this.#mask + 1);
    const slots = new Uint32Array(2 * capacity);
    const mask = capacity - 1;
    for (let j = 0; j < old.length; j += 2) {
      const a = old[j]!;
      if (a === 0) continue;
      let i = a & mask;
      while (slots[2 * i] !== 0) i = (i + 1) & mask;
      slots[2 * i] = a;
      slots[2 * i + 1] = old[j + 1]!;
    }
    this.#slots = slots;
    this.#mask = mask;
  }
}

/** FNV-1a over UTF-16 code units, never 0 (0 marks an empty slot). */
function hashA(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h | 1) >>> 0;
}

/** A second, independent hash (multiply-rotate with other constants and a final mix). */
function hashB(text: string): number {
  let h = 0x9e3779b9 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x5bd1e995);
    h ^= h >>> 15;
  }
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
