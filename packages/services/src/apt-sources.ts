import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** One apt source (a deb822 stanza or a one-line entry), as far as we need it. */
export interface AptSource {
  types: string[];
  uris: string[];
  suites: string[];
  components: string[];
  signedBy: string | null;
}

/** All sources apt reads: /etc/apt/sources.list and *.list / *.sources in sources.list.d. */
export function readAptSources(etcApt = '/etc/apt'): AptSource[] {
  const sources: AptSource[] = [];
  const mainList = join(etcApt, 'sources.list');
  if (existsSync(mainList)) sources.push(...parseOneLineList(readFileSync(mainList, 'utf8')));
  const partsDir = join(etcApt, 'sources.list.d');
  let parts: string[] = [];
  try {
    parts = readdirSync(partsDir).sort();
  } catch {
    parts = [];
  }
  for (const name of parts) {
    const text = readFileSafe(join(partsDir, name));
    if (text === null) continue;
    if (name.endsWith('.sources')) sources.push(...parseDeb822(text));
    else if (name.endsWith('.list')) sources.push(...parseOneLineList(text));
  }
  return sources;
}

function readFileSafe(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

export function parseDeb822(text: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const stanza of text.split(/\n\s*\n/)) {
    const fields = new Map<string, string>();
    let last: string | null = null;
    for (const line of stanza.split('\n')) {
      if (line.startsWith('#') || line.trim() === '') continue;
      if (/^\s/.test(line) && last) {
        fields.set(last, `${fields.get(last) ?? ''}\n${line.trim()}`);
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      last = line.slice(0, colon).trim().toLowerCase();
      fields.set(last, line.slice(colon + 1).trim());
    }
    if (!fields.has('uris')) continue;
    if ((fields.get('enabled') ?? 'yes').toLowerCase() === 'no') continue;
    const words = (key: string): string[] => (fields.get(key) ?? '').split(/\s+/).filter(Boolean);
    const signedBy = fields.get('signed-by') ?? null;
    sources.push({
      types: words('types'),
      uris: words('uris'),
      suites: words('suites'),
      components: words('components'),
      // An inline key block cannot be copied into a one-line reference; only keep file paths.
      signedBy: signedBy && !signedBy.includes('\n') ? signedBy : null,
    });
  }
  return sources;
}

export function parseOneLineList(text: string): AptSource[] {
  const sources: AptSource[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const match = /^(deb|deb-src)\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s*(.*)$/.exec(line);
    if (!match) continue;
    const options = match[2] ?? '';
    const signedBy = /signed-by=(\S+)/.exec(options)?.[1] ?? null;
    sources.push({
      types: [match[1] ?? 'deb'],
      uris: [match[3] ?? ''],
      suites: [match[4] ?? ''],
      components: (match[5] ?? '').split(/\s+/).filter(Boolean),
      signedBy,
    });
  }
  return sources;
}

/** Fields of /etc/os-release (ID, VERSION_CODENAME, ...). */
export function osRelease(path = '/etc/os-release'): Map<string, string> {
  const fields = new Map<string, string>();
  const text = readFileSafe(path) ?? '';
  for (const line of text.split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match?.[1]) fields.set(match[1], (match[2] ?? '').replace(/^["']|["']$/g, ''));
  }
  return fields;
}

/**
 * The Debian mirror this machine already uses for its main archive: the first `deb` source
 * whose suite is the release codename itself (not -security/-updates/-backports). Null when the
 * machine has none (e.g. Ubuntu, or a Debian without a main archive source).
 */
export function debianMirror(
  sources: readonly AptSource[] = readAptSources(),
  codename = osRelease().get('VERSION_CODENAME') ?? '',
): { uri: string; signedBy: string | null } | null {
  const archives = sources.filter(
    (source) =>
      source.types.includes('deb') &&
      source.components.includes('main') &&
      source.uris.some((uri) => !/security/.test(uri)) &&
      source.suites.some((suite) => (codename ? suite === codename : !suite.includes('-'))),
  );
  for (const source of archives) {
    const uri = source.uris.find((candidate) => !/security/.test(candidate));
    if (uri) return { uri: uri.replace(/\/+$/, ''), signedBy: source.signedBy };
  }
  return null;
}
