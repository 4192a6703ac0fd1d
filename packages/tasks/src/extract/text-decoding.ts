import { DocumentRejectedError } from '@lanes/contracts';

/** Share of control characters above which "text" is really binary data. */
const MAX_CONTROL_RATIO = 0.01;

function controlRatio(text: string): number {
  let control = 0;
  const sample = text.length > 1_000_000 ? text.slice(0, 1_000_000) : text;
  for (let i = 0; i < sample.length; i++) {
    const code = sample.charCodeAt(i);
    // Tab, newline and carriage return are text; other C0 controls and DEL are not.
    if ((code < 32 && code !== 9 && code !== 10 && code !== 13 && code !== 12) || code === 127) control++;
  }
  return sample.length === 0 ? 0 : control / sample.length;
}

/**
 * Bytes of a .txt/.md file to text. UTF-8 (BOM optional) or UTF-16 with a BOM; anything that
 * does not decode cleanly, or decodes to mostly control characters (a binary file renamed to
 * .txt), is refused with a readable reason.
 */
export function decodeText(bytes: Uint8Array, source: string): string {
  if (bytes.byteLength === 0) throw new DocumentRejectedError(source, 'the file is empty (0 bytes)');
  let text: string;
  try {
    if (bytes[0] === 0xff && bytes[1] === 0xfe)
      text = new TextDecoder('utf-16le', { fatal: true }).decode(bytes.subarray(2));
    else if (bytes[0] === 0xfe && bytes[1] === 0xff)
      text = new TextDecoder('utf-16be', { fatal: true }).decode(bytes.subarray(2));
    else {
      if (bytes.includes(0))
        throw new DocumentRejectedError(source, 'looks like binary data, not text (contains NUL bytes)');
      text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
    }
  } catch (error) {
    if (error instanceof DocumentRejectedError) throw error;
    throw new DocumentRejectedError(source, 'is not valid UTF-8 (or UTF-16 with a byte-order mark) text');
  }
  if (controlRatio(text) > MAX_CONTROL_RATIO)
    throw new DocumentRejectedError(source, 'looks like binary data, not text (too many control characters)');
  if (text.trim() === '') throw new DocumentRejectedError(source, 'contains no text (only whitespace)');
  return text;
}
