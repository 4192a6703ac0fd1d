/** Lanes packages need Node.js >= 22; loaded first so an older Node fails with one clear line. */
const NODE_MAJOR_NEEDED = 22;

const major = Number(process.versions.node.split('.')[0]);
if (major < NODE_MAJOR_NEEDED) {
  throw new Error(`Lanes needs Node.js >= ${NODE_MAJOR_NEEDED}; this is Node.js ${process.version}`);
}
