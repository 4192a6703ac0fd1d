#!/usr/bin/env node
// `npx lanes` / `pnpm exec lanes`: the CLI is TypeScript run by Node >= 22 (type stripping).
// On an older Node, re-run it with the Node 24 the project's bootstrap keeps in .lanes/tools.
import { spawnSync } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(realpathSync(fileURLToPath(import.meta.url)));
const main = join(here, '..', 'src', 'main.ts');

if (Number(process.versions.node.split('.')[0]) >= 22) {
  await import(main);
} else {
  const toolsNode = join(here, '..', '..', '..', '.lanes', 'tools', 'node_modules', '.bin', 'node');
  if (!existsSync(toolsNode)) {
    process.stderr.write(`lanes: needs Node >= 22 (this is ${process.version}); run "npm run setup" in the repository once\n`);
    process.exit(2);
  }
  const result = spawnSync(toolsNode, [main, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
