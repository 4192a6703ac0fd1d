// `npm run pack -- DIR`: builds every publishable package and writes one tarball each into DIR,
// `workspace:` versions resolved (pnpm pack) and the licence included. Prints the tarball paths.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildPackages, publishablePackages, ROOT } from './packages.ts';

const [target, ...extra] = process.argv.slice(2);
if (target === undefined || extra.length > 0) {
  process.stderr.write('usage: npm run pack -- DIR\n');
  process.exit(2);
}
const destination = resolve(process.env.INIT_CWD ?? process.cwd(), target);
mkdirSync(destination, { recursive: true });

buildPackages();
for (const pkg of publishablePackages()) {
  const licence = join(pkg.dir, 'LICENSE');
  copyFileSync(join(ROOT, 'LICENSE'), licence);
  try {
    const result = spawnSync('pnpm', ['pack', '--pack-destination', destination], {
      cwd: pkg.dir,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    if (result.status !== 0) throw new Error(`pnpm pack of ${pkg.name} exited with ${result.status ?? result.signal}`);
  } finally {
    rmSync(licence);
  }
  const tarball = `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`;
  process.stdout.write(`${join(destination, tarball)}\n`);
}
