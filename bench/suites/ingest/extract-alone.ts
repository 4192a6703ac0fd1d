// Baseline process for the ingest suite: pdf-parse alone, the same files, one after the other.
// Prints one JSON line: pages, characters, milliseconds spent parsing (module loading excluded)
// and this process' peak RSS. Usage: node extract-alone.ts FILE...
import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { PDFParse } from 'pdf-parse';

function peakRssKb(): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return match === null ? Math.round(process.memoryUsage().rss / 1024) : Number(match[1]);
}

let pages = 0;
let characters = 0;
let parseMs = 0;
for (const file of process.argv.slice(2)) {
  const data = new Uint8Array(await readFile(file));
  const startedAt = performance.now();
  const parser = new PDFParse({ data });
  try {
    const result = await parser.getText();
    pages += result.total;
    characters += result.text.length;
  } finally {
    await parser.destroy();
  }
  parseMs += performance.now() - startedAt;
}
process.stdout.write(`${JSON.stringify({ pages, characters, parseMs, peakRssKb: peakRssKb() })}\n`);
