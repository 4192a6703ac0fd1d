import { redactString } from '@lanes/contracts';
/** `--json` prints exactly one JSON document on stdout; human output goes to stdout too, logs to stderr. */
export function printJson(value: unknown): void {
  process.stdout.write(`${redactString(JSON.stringify(value, null, 2))}\n`);
}

export function printLine(line = ''): void {
  process.stdout.write(`${redactString(line)}\n`);
}

export function printError(message: string): void {
  process.stderr.write(`lanes: ${redactString(message)}\n`);
}

/** A remark for the person at the terminal: stderr, so stdout stays the command's output. */
export function printNote(message: string): void {
  process.stderr.write(`lanes: ${message}\n`);
}
