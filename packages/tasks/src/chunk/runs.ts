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
    code === 0xa0 || code === 0x1680 || (code >= 0x2000 && code <= 0x200a) || code === 0x2028 || code === 0x2029 ||
    code === 0x202f || code === 0x205f || code === 0x3000 || code === 0xfeff
  );
}

/** The head of a long run, not ending in half a surrogate pair. */
function headOf(text: string, start: number): string {
  const last = text.charCodeAt(start + RUN_HEAD - 1);
  return text.slice(start, start + (last >= 0xd800 && last <= 0xdbff ? RUN_HEAD - 1 : RUN_HEAD));
}

/**
 * `text` (newlines already `\n`) with trailing blanks of each line removed, runs of blank
 * lines cut to one, horizontal whitespace runs cut to MAX_BLANK_RUN characters and
 * whitespace-free runs longer than MAX_INDEXED_RUN replaced by their head and a note.
 */
export function boundRuns(text: string): string {
  let out = '';
  let newlines = 0;
  let i = 0;
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code === 10) {
      newlines++;
      i++;
      continue;
    }
    let end = i + 1;
    if (isWhitespace(code)) {
      while (end < text.length && text.charCodeAt(end) !== 10 && isWhitespace(text.charCodeAt(end))) end++;
      // Blanks at the end of a line (or of the text) are dropped.
      if (end === text.length || text.charCodeAt(end) === 10) {
        i = end;
        continue;
      }
    } else {
      while (end < text.length && !isWhitespace(text.charCodeAt(end))) end++;
    }
    if (newlines > 0) out += newlines === 1 ? '\n' : '\n\n';
    newlines = 0;
    const length = end - i;
    if (isWhitespace(code)) out += length > MAX_BLANK_RUN ? text.slice(i, i + MAX_BLANK_RUN) : text.slice(i, end);
    else out += length > MAX_INDEXED_RUN ? `${headOf(text, i)}… (${length - RUN_HEAD} more characters not indexed)` : text.slice(i, end);
    i = end;
  }
  return out;
}
