#!/usr/bin/env node
// Fails (exit 1) when TypeScript sources import each other in a cycle, naming each cycle.
// Checks packages/ and test/ by default; other directories may be given as arguments.
// madge does the resolving (including NodeNext's .js-suffixed imports of .ts files).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import madge from 'madge';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const targets = process.argv.length > 2 ? process.argv.slice(2) : [join(root, 'packages'), join(root, 'test')];
const result = await madge(targets, {
  fileExtensions: ['ts'],
  tsConfig: join(root, 'tsconfig.base.json'),
  excludeRegExp: [/(^|\/)dist\//, /(^|\/)node_modules\//, /\.d\.ts$/],
});
const cycles = result.circular();
if (cycles.length > 0) {
  console.error(`check:cycles: ${cycles.length} import cycle(s) between source files; break each by moving the shared part into its own module:`);
  for (const cycle of cycles) console.error(`  ${[...cycle, cycle[0]].join(' -> ')}`);
  process.exit(1);
}
console.log(`check:cycles: no import cycle among ${Object.keys(result.obj()).length} source files`);
