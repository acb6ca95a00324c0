/**
 * Random strings in the alphabets the providers use for their ids, from a seeded generator,
 * so an emulator's run can be repeated id for id.
 */
export interface IdSource {
  /** `length` characters from [A-Za-z0-9]. */
  alnum(length: number): string;
  /** `length` lower-case hexadecimal digits. */
  hex(length: number): string;
  /** `length` characters from the base64 alphabet (no padding). */
  base64(length: number): string;
  /** An integer in [0, `below`). */
  int(below: number): number;
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const HEX = '0123456789abcdef';
const BASE64 = `${ALNUM}+/`;

/** An id source drawing from `random`, a function returning numbers in [0, 1). */
export function createIdSource(random: () => number): IdSource {
  const draw = (alphabet: string, length: number): string => {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(random() * alphabet.length)];
    return out;
  };
  return {
    alnum: (length) => draw(ALNUM, length),
    hex: (length) => draw(HEX, length),
    base64: (length) => draw(BASE64, length),
    int: (below) => Math.floor(random() * below),
  };
}

/** A small seeded PRNG (mulberry32): the same seed gives the same sequence. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
