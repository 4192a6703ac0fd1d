#!/usr/bin/env node
// The repo's `lanes` (`pnpm lanes`, `npx lanes` at the root): runs the TypeScript sources on
// Node >= 22, in this process; on an older Node, in a child on the Node 24 that the bootstrap
// keeps in .lanes/tools, with signals forwarded and its exit passed on. Installed packages use
// dist/bin.js instead (see publishConfig).
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(realpathSync(fileURLToPath(import.meta.url)));
const main = join(here, '..', 'src', 'main.ts');
const repoRoot = join(here, '..', '..', '..');

if (Number(process.versions.node.split('.')[0]) >= 22) {
  await import(main);
} else {
  const toolsNode = join(repoRoot, '.lanes', 'tools', 'node_modules', '.bin', 'node');
  if (!existsSync(toolsNode)) {
    process.stderr.write(
      `lanes: needs Node >= 22 (this is ${process.version}); run "npm run setup" in the repository once\n`,
    );
    process.exit(2);
  }
  const { handOver } = await import(join(repoRoot, 'scripts', 'hand-over.mjs'));
  handOver(toolsNode, [main, ...process.argv.slice(2)]);
}
