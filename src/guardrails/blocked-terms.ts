import type { Guardrails } from '../pipeline/policy.js';

/**
 * A policy's blocked terms, compiled once into one case-insensitive regex. A term that
 * starts (ends) with a letter, digit or `_` must start (end) on a word boundary, so `ass`
 * does not block `class`; a space inside a term matches any run of whitespace, so a
 * phrase spread over a line break is still found.
 */
export interface TermMatcher {
  /** True when `text` holds a blocked term. */
  test(text: string): boolean;
  /** A scanner for text that arrives in parts (a stream). */
  scanner(): TermScanner;
}

/** Feeds text as it arrives; true as soon as a blocked term is found, even across two parts. */
export interface TermScanner {
  push(text: string): boolean;
  /** The text has ended: a term at its very end is now decided. */
  end(): boolean;
}

const WORD_START = '(?<![\\p{L}\\p{N}\\p{M}_])';
const WORD_END = '(?![\\p{L}\\p{N}\\p{M}_])';
const WORD_CHAR = /[\p{L}\p{N}\p{M}_]/u;
const SPECIAL = /[.*+?^${}()|[\]\\/-]/g;
const SPACES = /\s+/g;

function termSource(term: string): string {
  const trimmed = term.trim();
  const body = trimmed
    .split(SPACES)
    .map((word) => word.replace(SPECIAL, '\\$&'))
    .join('\\s+');
  const start = WORD_CHAR.test(trimmed[0]!) ? WORD_START : '';
  const end = WORD_CHAR.test(trimmed.at(-1)!) ? WORD_END : '';
  return `${start}${body}${end}`;
}

/** Compiles a list of terms. Prefer `blockedTermsOf(guardrails)`, which compiles once per policy. */
export function compileBlockedTerms(terms: readonly string[]): TermMatcher | undefined {
  const clean = [...new Set(terms.map((t) => t.trim()).filter((t) => t.length > 0))];
  if (clean.length === 0) return undefined;
  // Longest first, so a phrase wins over a word it starts with.
  clean.sort((a, b) => b.length - a.length);
  const pattern = new RegExp(clean.map(termSource).join('|'), 'giu');
  // What a stream keeps of the text already seen: enough for a split term and the
  // character before it (for the word-boundary test), with room for wider whitespace.
  const keep = clean[0]!.length * 2 + 2;

  /**
   * Searches `text`; a match that ends exactly at the end of unfinished text is not decided
   * yet (the next character may extend the word) and is returned as `deferred`. A match at
   * index 0 of a window that does not start the text is skipped: the character before it
   * was cut off (and that match was already judged in the previous window).
   */
  const search = (text: string, finished: boolean, startOfText: boolean): true | number | undefined => {
    pattern.lastIndex = 0;
    let deferred: number | undefined;
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
      if (m[0].length === 0) pattern.lastIndex++;
      else if (m.index === 0 && !startOfText) pattern.lastIndex = 1;
      else if (!finished && m.index + m[0].length === text.length) deferred ??= m.index;
      else return true;
    }
    return deferred;
  };

  return {
    test: (text) => search(text, true, true) === true,
    scanner() {
      let tail = '';
      let startOfText = true;
      return {
        push(text) {
          if (text.length === 0) return false;
          const window = tail + text;
          const found = search(window, false, startOfText);
          if (found === true) return true;
          let from = Math.max(0, window.length - keep);
          if (found !== undefined) from = Math.min(from, Math.max(0, found - 1));
          if (from > 0) startOfText = false;
          tail = window.slice(from);
          return false;
        },
        end: () => tail.length > 0 && search(tail, true, startOfText) === true,
      };
    },
  };
}

const compiled = new WeakMap<Guardrails, TermMatcher | null>();

/** The policy's blocked-terms matcher, compiled on first use and cached with the policy. */
export function blockedTermsOf(guardrails: Guardrails): TermMatcher | undefined {
  let matcher = compiled.get(guardrails);
  if (matcher === undefined) {
    matcher = compileBlockedTerms(guardrails.blockedTerms ?? []) ?? null;
    compiled.set(guardrails, matcher);
  }
  return matcher ?? undefined;
}
