import { termBag } from './tokenise.ts';

/** A PostgreSQL array literal for text elements (every element quoted, so any text is safe). */
export function arrayLiteral(values: readonly string[]): string {
  return `{${values.map((value) => `"${value.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}

/**
 * A chunk's term bag as it is stored: unnest flattens arrays of arrays, so each chunk's
 * arrays travel as array literals. Made where the chunk is (the extraction thread, for
 * ingest), so the worker's event loop only passes strings on.
 */
export interface LexicalColumns {
  readonly lexemes: string;
  readonly termFreqs: string;
  readonly length: number;
}

export function lexicalColumns(text: string): LexicalColumns {
  const bag = termBag(text);
  return { lexemes: arrayLiteral(bag.terms), termFreqs: `{${bag.frequencies.join(',')}}`, length: bag.length };
}

/** Per chunk, its lexical columns as three parallel arrays for an `unnest` insert or update. */
export function termBagColumns(columns: readonly LexicalColumns[]): [string[], string[], number[]] {
  return [columns.map((c) => c.lexemes), columns.map((c) => c.termFreqs), columns.map((c) => c.length)];
}
