/**
 * A policy's blocked terms, compiled once into one regex. Any string works as a term:
 * every character is matched literally (hyphens, brackets, backslashes, regex syntax, emoji,
 * combining marks, right-to-left text). The rules:
 * - Case-insensitive, with Unicode simple case folding (`SELF-HARM` matches `self-harm`,
 *   `ΣΟΦΊΑ` matches `σοφία`); no Unicode normalization, so a term is matched as it is
 *   typed (a precomposed `é` does not match `e` followed by a combining accent).
 * - A term that starts (ends) with a letter, digit, combining mark or `_` must start (end)
 *   on a word boundary, so `ass` does not block `class`; a term that starts (ends) with any
 *   other character needs no boundary there, so `-v` blocks `ls -v` and `c++` blocks `c++20`.
 * - Leading and trailing whitespace is ignored; whitespace inside a term matches any run of
 *   whitespace, so a phrase spread over a line break is still found.
 * - A term made only of whitespace is refused when the policy is set (see `blockedTermsProblem`).
 */
export interface TermMatcher {
  /** True when `text` holds a blocked term. */
  test(text: string): boolean;
  /** A scanner for text that arrives in parts (a stream). */
  scanner(): TermScanner;
}

/**
 * Feeds text as it arrives; true as soon as the text so far holds a blocked term whatever
 * comes next, even across two parts.
 */
export interface TermScanner {
  push(text: string): boolean;
  /** The text has ended: a term at its very end is now decided. */
  end(): boolean;
}

const WORD = '[\\p{L}\\p{N}\\p{M}_]';
const WORD_CHAR = /^[\p{L}\p{N}\p{M}_]$/u;
const SPACES = /\s+/;
const SPACE_RUNS = /\s+/g;
const PLAIN = /^[A-Za-z0-9_]$/;

/** A word of a term as a regex source: ASCII letters, digits and `_` as they are, the rest as `\u{…}`. */
function literal(word: string): string {
  let out = '';
  for (const ch of word) out += PLAIN.test(ch) ? ch : `\\u{${ch.codePointAt(0)!.toString(16)}}`;
  return out;
}

interface Compiled {
  pattern: RegExp;
  /** A word character no term holds (case-insensitively): stands for "a word may go on" at the end of unfinished text. */
  sentinel: string;
  /** Longest term, in UTF-16 units: no match is longer once whitespace runs are collapsed. */
  longest: number;
}

/**
 * One regex for every term. Terms are grouped by the boundaries they need, so each group
 * carries one lookbehind and one lookahead: a lookaround per term would make compiling and
 * scanning grow with the number of terms (1,000 terms: a second per MB of text instead of ms).
 */
function compile(terms: readonly string[]): Compiled {
  const groups = new Map<string, string[]>();
  let longest = 0;
  for (const term of terms) {
    const chars = Array.from(term);
    const start = WORD_CHAR.test(chars[0]!);
    const end = WORD_CHAR.test(chars.at(-1)!);
    const key = `${start ? 's' : ''}${end ? 'e' : ''}`;
    const source = term.split(SPACES).map(literal).join('\\s+');
    const group = groups.get(key);
    if (group) group.push(source);
    else groups.set(key, [source]);
    longest = Math.max(longest, term.length);
  }
  const alternatives = [...groups].map(([key, sources]) => {
    const start = key.includes('s') ? `(?<!${WORD})` : '';
    const end = key.includes('e') ? `(?!${WORD})` : '';
    return `${start}(?:${sources.join('|')})${end}`;
  });
  const pattern = new RegExp(alternatives.join('|'), 'giu');
  // V8 compiles a regex on its first use: a pattern too large to compile fails here, now.
  pattern.test('');
  return { pattern, sentinel: sentinelFor(terms), longest };
}

function sentinelFor(terms: readonly string[]): string {
  const all = terms.join('\n');
  // Letters first, then CJK ideographs (all word characters): the terms cannot hold them all.
  for (let code = 0x61; code <= 0x9fff; code = code === 0x7a ? 0x4e00 : code + 1) {
    const ch = String.fromCodePoint(code);
    if (!new RegExp(literal(ch), 'iu').test(all)) return ch;
  }
  throw new Error('the terms hold every candidate sentinel character');
}

/**
 * Why a list of terms cannot be used, naming the term's index when one is at fault;
 * undefined when it compiles. Run where a policy is validated, so a bad list is
 * `invalid_config` when it is set, never an error at call time.
 */
export function blockedTermsProblem(
  terms: readonly string[],
): { index?: number; message: string } | undefined {
  const index = terms.findIndex((t) => t.trim().length === 0);
  if (index >= 0) {
    return {
      index,
      message:
        'a blocked term must hold a character other than whitespace (this one would match every space); remove it',
    };
  }
  try {
    compileBlockedTerms(terms);
  } catch (error) {
    const reason = (error as Error).message.split(': ').at(-1);
    return {
      message: `the blocked terms cannot be compiled into one pattern (${reason}); use fewer or shorter terms`,
    };
  }
  return undefined;
}

/** Compiles a list of terms; `compilePolicy()` does it once per policy. */
export function compileBlockedTerms(terms: readonly string[]): TermMatcher | undefined {
  const clean = [...new Set(terms.map((t) => t.trim()).filter((t) => t.length > 0))];
  if (clean.length === 0) return undefined;
  const { pattern, sentinel, longest } = compile(clean);
  // What a stream keeps of the text already seen: more than any match (whitespace runs are
  // collapsed to one space first), so a match that starts in it ends inside it too.
  const keep = longest * 2 + 2;

  /**
   * True when `text` holds a match. In a window that does not start the text, the first
   * character is only there for the word-boundary test of the next one (a match that starts
   * on it was judged in the window before): the search starts after it.
   */
  const search = (text: string, startOfText: boolean): boolean => {
    pattern.lastIndex = startOfText ? 0 : (text.codePointAt(0) ?? 0) > 0xffff ? 2 : 1;
    return pattern.test(text);
  };

  return {
    test: (text) => search(text, true),
    scanner() {
      let tail = '';
      let startOfText = true;
      return {
        push(text) {
          if (text.length === 0) return false;
          const window = (tail + text).replace(SPACE_RUNS, ' ');
          // The sentinel stands for a word character to come: a match it does not break is
          // decided whatever follows; one that ends a word at the very end must wait. A high
          // surrogate at the end is half a character: it waits for its other half.
          const open = isHighSurrogate(window.charCodeAt(window.length - 1));
          if (search((open ? window.slice(0, -1) : window) + sentinel, startOfText)) return true;
          let from = Math.max(0, window.length - keep);
          // Never split a surrogate pair: the boundary test needs the whole character.
          if (from > 0 && isLowSurrogate(window.charCodeAt(from))) from--;
          if (from > 0) startOfText = false;
          tail = window.slice(from);
          return false;
        },
        end: () => tail.length > 0 && search(tail, startOfText),
      };
    },
  };
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
