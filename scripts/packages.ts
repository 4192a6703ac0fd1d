// The workspace's publishable packages (every packages/* without "private"), built to dist/.
import { spawnSync } from 'node:child_process';
import { globSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');

export interface PublishablePackage {
  readonly name: string;
  readonly version: string;
  readonly dir: string;
}

export function publishablePackages(): PublishablePackage[] {
  return readdirSync(join(ROOT, 'packages'))
    .map((entry) => join(ROOT, 'packages', entry))
    .flatMap((dir) => {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name: string;
        version: string;
        private?: boolean;
      };
      return manifest.private === true ? [] : [{ name: manifest.name, version: manifest.version, dir }];
    });
}

/**
 * Relative specifiers in declaration files: tsc rewrites `./x.ts` to `./x.js` in the JavaScript
 * it emits (rewriteRelativeImportExtensions) but leaves declarations as written, and a user's
 * tsc without allowImportingTsExtensions refuses `.ts` paths inside node_modules (TS5097).
 */
function rewriteDeclarationSpecifiers(distDir: string): void {
  for (const file of globSync('**/*.d.ts', { cwd: distDir })) {
    const path = join(distDir, file);
    const text = readFileSync(path, 'utf8');
    const rewritten = text.replace(/(from\s+|import\()(['"])(\.{1,2}\/[^'"]*)\.ts\2/g, '$1$2$3.js$2');
    if (rewritten !== text) writeFileSync(path, rewritten);
  }
}

/** A clean build of every publishable package: JavaScript, declarations and source maps in dist/. */
export function buildPackages(): void {
  const packages = publishablePackages();
  for (const pkg of packages) rmSync(join(pkg.dir, 'dist'), { recursive: true, force: true });
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = spawnSync(process.execPath, [tsc, '-b', join(ROOT, 'tsconfig.build.json')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`tsc -b exited with ${result.status ?? result.signal}`);
  for (const pkg of packages) rewriteDeclarationSpecifiers(join(pkg.dir, 'dist'));
}
