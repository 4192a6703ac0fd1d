/**
 * Lexical terms for BM25, produced here in TypeScript rather than by a PostgreSQL text search
 * configuration: `english` stems and drops punctuation, and even `simple` splits `read.fwf`,
 * `asn1_read_value` or `${parameter:-word}` in ways a query cannot target, and drops `<<<`.
 * Technical manuals are searched by exactly those identifiers, so:
 *
 * - a *word* is a run of letters, digits and `_`, optionally joined to more such runs by single
 *   `.`, `-`, `:` or `/` (`read.fwf`, `en-US`, `foo::bar` is two words and `::`);
 *   the whole word is a term and, when it is compound, so is each part (`read`, `fwf`), so a
 *   query for the identifier ranks its exact occurrences first while one for a part still hits;
 * - a *symbol run* of 2 to 4 punctuation characters (`<<<`, `${`, `:-`, `&&`, `2>&1` gives
 *   `2`, `>&`, `1`) is a term: shell and regex operators are what people look up. Single
 *   punctuation marks and longer runs (rules, ASCII art) are noise and are dropped;
 * - everything is NFKC-normalised and lower-cased; plain alphabetic terms (words and parts,
 *   never a whole compound identifier) are lightly stemmed (see `stem`), so "matching lines"
 *   finds "match a line"; no stop words (BM25's IDF weighs common words down).
 *
 * The same function tokenises chunks and queries, so whatever a query names can match.
 * Changing what it produces needs a new TOKENISER_VERSION: stored terms are then rebuilt.
 */
export const TOKENISER_VERSION = 'terms-v1';
const TOKEN = /[\p{L}\p{N}_]+(?:[.:\-/][\p{L}\p{N}_]+)*|[^\p{L}\p{N}_\s]+/gu;
const PART_SEPARATOR = /[._:\-/]+/;
const MIN_SYMBOL_RUN = 2;
const MAX_SYMBOL_RUN = 4;
/** Longer words are data (hashes, base64), kept only up to this many characters. */
const MAX_TERM_CHARS = 64;

function isWordChar(char: string): boolean {
  return /[\p{L}\p{N}_]/u.test(char);
}

const ALPHABETIC = /^\p{L}+$/u;
const VOWEL = /[aeiouy]/;

/**
 * A light English suffix stripper (plural, -ing, -ed, then a final -e), not Porter: it only
 * conflates inflections (`matches`, `matching`, `matched` -> `match`; `deleting`, `delete` ->
 * `delet`), keeps a stem of at least three letters with a vowel, and leaves short words alone.
 */
export function stem(word: string): string {
  if (word.length < 4 || !ALPHABETIC.test(word)) return word;
  let w = word;
  if (w.endsWith('ies') && w.length > 4) w = `${w.slice(0, -3)}y`;
  else if (/(ss|us|is)$/.test(w)) {
    // glass, status, this: not plurals
  } else if (/(sh|ch|x|z|ss)es$/.test(w)) w = w.slice(0, -2);
  else if (w.endsWith('s')) w = w.slice(0, -1);
  for (const suffix of ['ing', 'ed']) {
    const base = w.slice(0, -suffix.length);
    if (w.endsWith(suffix) && base.length >= 3 && VOWEL.test(base)) {
      // running -> run, but keep -ll/-ss/-zz (install, pass, buzz).
      w = /([^aeioulsz])\1$/.test(base) ? base.slice(0, -1) : base;
      break;
    }
  }
  if (w.length > 3 && w.endsWith('e')) w = w.slice(0, -1);
  return w;
}

/** Terms in text order; a compound word yields itself followed by its parts. */
export function tokenise(text: string): string[] {
  const terms: string[] = [];
  for (const match of text.normalize('NFKC').toLowerCase().matchAll(TOKEN)) {
    const token = match[0];
    if (!isWordChar(token[0]!)) {
      if (token.length >= MIN_SYMBOL_RUN && token.length <= MAX_SYMBOL_RUN) terms.push(token);
      continue;
    }
    const parts = token.split(PART_SEPARATOR).filter((part) => part !== '');
    terms.push(parts.length > 1 ? token.slice(0, MAX_TERM_CHARS) : stem(token.slice(0, MAX_TERM_CHARS)));
    if (parts.length > 1) for (const part of parts) terms.push(stem(part.slice(0, MAX_TERM_CHARS)));
  }
  return terms;
}

/** A chunk's bag of terms: distinct terms (sorted), their frequencies, and the total count. */
export interface TermBag {
  readonly terms: readonly string[];
  readonly frequencies: readonly number[];
  readonly length: number;
}

export function termBag(text: string): TermBag {
  const counts = new Map<string, number>();
  const all = tokenise(text);
  for (const term of all) counts.set(term, (counts.get(term) ?? 0) + 1);
  const terms = [...counts.keys()].sort();
  return { terms, frequencies: terms.map((term) => counts.get(term)!), length: all.length };
}

/** The distinct terms of a query, at most `max` (a 10k-character query stays cheap). */
export function queryTerms(query: string, max = 64): string[] {
  return [...new Set(tokenise(query))].slice(0, max);
}
