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
    hash(id);
    const h1 = hashed1;
    const h2 = hashed2;
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
    hash(id);
    const h1 = hashed1;
    const h2 = hashed2;
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

/** The two hashes of the last `hash()`: module state, so hashing allocates nothing. */
let hashed1 = 0;
let hashed2 = 0;

/**
 * Two independent 32-bit hashes of `text` in one pass: FNV-1a over its UTF-16 code units
 * (never 0: 0 marks an empty slot), and a multiply-rotate hash with other constants and a
 * final mix.
 */
function hash(text: string): void {
  let a = 0x811c9dc5;
  let b = 0x9e3779b9 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  b = Math.imul(b ^ (b >>> 13), 0xc2b2ae35);
  hashed1 = (a | 1) >>> 0;
  hashed2 = (b ^ (b >>> 16)) >>> 0;
}
