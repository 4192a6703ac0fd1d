import { existsSync } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { dirname, extname, join, relative, resolve, sep } from 'node:path';
import ignore, { type Ignore } from 'ignore';
import { DOCUMENT_EXTENSIONS } from '@lanes/contracts';
import { UsageError } from './args.ts';

/** Folders that hold dependencies or build output, never a person's documents. */
const SKIPPED_FOLDERS: ReadonlySet<string> = new Set(['node_modules']);

function isIngestible(path: string): boolean {
  return Object.hasOwn(DOCUMENT_EXTENSIONS, extname(path).toLowerCase());
}

export interface ExpandedPaths {
  /** Absolute paths, sorted, without duplicates. */
  readonly files: readonly string[];
  /** Documents left out by the walk's rules: node_modules, dot-entries, .gitignore, links leading out of the folder. */
  readonly skippedFiles: number;
  /** Folders not entered for the same reasons (their files are not counted). */
  readonly skippedFolders: number;
}

/** The .gitignore rules of one folder, matched against paths relative to it. */
interface IgnoreScope {
  readonly base: string;
  readonly rules: Ignore;
}

async function scopeOf(dir: string): Promise<IgnoreScope | undefined> {
  const text = await readFile(join(dir, '.gitignore'), 'utf8').catch(() => undefined);
  return text === undefined ? undefined : { base: dir, rules: ignore().add(text) };
}

function ignoredBy(scopes: readonly IgnoreScope[], path: string, isDir: boolean): boolean {
  return scopes.some((scope) => {
    const rel = relative(scope.base, path).split(sep).join('/');
    return rel !== '' && !rel.startsWith('..') && scope.rules.ignores(isDir ? `${rel}/` : rel);
  });
}

/** .gitignore files above `dir` up to its git work tree's root, as git applies them; none outside a work tree. */
async function ancestorScopes(dir: string): Promise<IgnoreScope[]> {
  const chain: string[] = [];
  for (let current = dirname(dir); ; current = dirname(current)) {
    chain.unshift(current);
    if (existsSync(join(current, '.git'))) break;
    if (dirname(current) === current) return [];
  }
  const scopes = await Promise.all(chain.map(scopeOf));
  return scopes.filter((scope): scope is IgnoreScope => scope !== undefined);
}

function inside(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/**
 * Files named directly are taken as they are (the job reports an unsupported type); folders are
 * walked for pdf, txt and md files the way a person expects: node_modules, dot-folders and
 * dot-files, and whatever .gitignore files ignore are skipped, and a symbolic link is followed
 * only while its target stays inside the folder named.
 */
export async function expandDocumentPaths(paths: readonly string[]): Promise<ExpandedPaths> {
  const found = new Set<string>();
  let skippedFiles = 0;
  let skippedFolders = 0;
  const skip = (isDir: boolean, path: string): void => {
    if (isDir) skippedFolders += 1;
    else if (isIngestible(path)) skippedFiles += 1;
  };

  /** `root` is the real path of the folder named; `dir` is spelled as the user spelled it (documents keep that source). */
  const walk = async (
    root: string,
    dir: string,
    scopes: readonly IgnoreScope[],
    visited: Set<string>,
  ): Promise<void> => {
    const own = await scopeOf(dir);
    const active = own === undefined ? scopes : [...scopes, own];
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      let isDir = entry.isDirectory();
      let target = full;
      if (entry.isSymbolicLink()) {
        const real = await realpath(full).catch(() => undefined);
        const info = real === undefined ? undefined : await stat(real).catch(() => undefined);
        if (real === undefined || info === undefined) continue;
        isDir = info.isDirectory();
        if (!inside(root, real)) {
          skip(isDir, full);
          continue;
        }
        target = real;
      } else if (!isDir && !entry.isFile()) continue;
      if (entry.name.startsWith('.') || (isDir && SKIPPED_FOLDERS.has(entry.name)) || ignoredBy(active, full, isDir)) {
        skip(isDir, full);
        continue;
      }
      if (isDir) {
        // A link back up the tree would otherwise loop forever.
        const real = await realpath(target);
        if (visited.has(real)) continue;
        visited.add(real);
        await walk(root, target, active, visited);
      } else if (isIngestible(full)) found.add(target);
    }
  };

  for (const raw of paths) {
    const path = resolve(raw);
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) throw new UsageError(`PATH ${raw} does not exist`);
    if (info.isDirectory()) {
      const root = await realpath(path);
      await walk(root, path, await ancestorScopes(path), new Set([root]));
    } else found.add(path);
  }
  return { files: [...found].sort(), skippedFiles, skippedFolders };
}
