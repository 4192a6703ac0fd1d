// Preloaded with `node --import` into a real process: records every module the main thread
// loads, ESM and CommonJS alike (module.registerHooks sees both), and writes the list to the
// file named by LANES_TEST_MODULE_TRACE when the process exits.
import { writeFileSync } from 'node:fs';
import { registerHooks } from 'node:module';

const file = process.env.LANES_TEST_MODULE_TRACE;
if (file === undefined) throw new Error('module-trace needs LANES_TEST_MODULE_TRACE');
const loaded = new Set<string>();
registerHooks({
  load(url, context, nextLoad) {
    loaded.add(url);
    return nextLoad(url, context);
  },
});
process.on('exit', () => writeFileSync(file, [...loaded].join('\n')));
