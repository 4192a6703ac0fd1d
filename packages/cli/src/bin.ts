#!/usr/bin/env node
// The installed `lanes` bin. The Node check comes before anything else is loaded, so an old
// Node gets one line naming the version needed instead of a stack from a dependency.
const NEEDED_MAJOR = 22;

if (Number(process.versions.node.split('.')[0]) < NEEDED_MAJOR) {
  process.stderr.write(`lanes: needs Node.js >= ${NEEDED_MAJOR}; this is Node.js ${process.version}\n`);
  process.exit(2);
}
await import('./main.ts');
