// Debian's Chromium for the browser tests, driven by playwright-core: where it is, how it is
// launched, and where the runs write their screenshots.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

const CHROMIUM_CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];
const chromiumPath = CHROMIUM_CANDIDATES.find((candidate) => candidate !== undefined && existsSync(candidate));

/** A describe block's `skip`: the reason when no Chromium is installed. */
export const SKIP_WITHOUT_CHROMIUM: string | false =
  chromiumPath === undefined ? 'Chromium not found (apt-get install -y chromium, or set CHROMIUM_PATH)' : false;

/** LANES_SCREENSHOTS_DIR, default a temporary folder. */
export const SCREENSHOTS_DIR = process.env.LANES_SCREENSHOTS_DIR ?? join(tmpdir(), 'lanes-screenshots');

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath!, args: CHROMIUM_ARGS, timeout: 20_000 });
}
