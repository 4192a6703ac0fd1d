/**
 * One linear pass that bounds every run of a character class before any regex or tokenizer
 * sees the text. Regexes with unbounded quantifiers overflow V8's backtracking stack on
 * megabyte runs (`Maximum call stack size exceeded`), and the cl100k pre-tokenizer and
 * trailing-blank patterns cost time quadratic in a run's length (160 kB of spaces took 37 s):
 * with every run short, all later steps are linear in the input.
 */

/** Horizontal whitespace kept of one run: enough for code indentation and table alignment. */
export const MAX_BLANK_RUN = 16;
/** Whitespace-free runs longer than this are data (an inline image, a dump), not prose. */
export const MAX_INDEXED_RUN = 2000;
/** What stands in for such a run: its first characters. */
const RUN_HEAD = 64;

/** The characters JavaScript's `\s` matches, newline included. */
function isWhitespace(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13);
  if (code < 0xa0) return false;
  return (
    code === 0xa0 ||
    code === 0x1680 ||
    (code >= 0x2000 && code <= 0x200a) ||
    code === 0x2028 ||
    code === 0x2029 ||
    code === 0x202f ||
    code === 0x205f ||
    code === 0x3000 ||
    code === 0xfeff
  );
}

/** The head of a long run, not ending in half a surrogate pair. */
function headOf(text: string, start: number): string {
  const last = text.charCodeAt(start + RUN_HEAD - 1);
  return text.slice(start, start + (last >= 0xd800 && last <= 0xdbff ? RUN_HEAD - 1 : RUN_HEAD));
}

/**
 * What one whitespace run becomes: blanks ending a line dropped, at most one blank line kept,
 * the indentation after the last newline cut to MAX_BLANK_RUN; nothing at the end of the text.
 */
function normalisedBlank(text: string, start: number, end: number): string {
  if (end === text.length) return '';
  let newlines = 0;
  let lastNewline = -1;
  for (let i = start; i < end; i++) {
    if (text.charCodeAt(i) === 10) {
      newlines++;
      lastNewline = i;
    }
  }
  const from = lastNewline === -1 ? start : lastNewline + 1;
  const indent = text.slice(from, Math.min(end, from + MAX_BLANK_RUN));
  return newlines === 0 ? indent : `${newlines === 1 ? '\n' : '\n\n'}${indent}`;
}

/**
 * `text` (newlines already `\n`) with trailing blanks of each line removed, runs of blank
 * lines cut to one, horizontal whitespace runs cut to MAX_BLANK_RUN characters and
 * whitespace-free runs longer than MAX_INDEXED_RUN replaced by their head and a note. Text
 * that needs none of this is copied in long slices, not run by run.
 */
export function boundRuns(text: string): string {
  let out = '';
  let copiedTo = 0;
  const replace = (start: number, end: number, replacement: string): void => {
    out += text.slice(copiedTo, start) + replacement;
    copiedTo = end;
  };
  let i = 0;
  while (i < text.length) {
    const blank = isWhitespace(text.charCodeAt(i));
    let end = i + 1;
    while (end < text.length && isWhitespace(text.charCodeAt(end)) === blank) end++;
    if (blank) {
      // Single spaces between words, the common case, stay as they are without a look.
      if (end - i > 1 || text.charCodeAt(i) !== 32 || end === text.length) {
        const replacement = normalisedBlank(text, i, end);
        if (replacement.length !== end - i || replacement !== text.slice(i, end)) replace(i, end, replacement);
      }
    } else if (end - i > MAX_INDEXED_RUN) {
      replace(i, end, `${headOf(text, i)}… (${end - i - RUN_HEAD} more characters not indexed)`);
    }
    i = end;
  }
  return copiedTo === 0 ? text : out + text.slice(copiedTo);
}
