// Writes a generated reference under docs/, or with `--check` on the command line fails, naming the
// file and the command that regenerates it, when the checked-in copy differs.

import { readFileSync, writeFileSync } from 'node:fs';

/** `name` is the npm script suffix (config-docs, cli-docs); `what` says what was written or matched. */
export function writeOrCheck({ target, relative, text, name, what }) {
  if (!process.argv.includes('--check')) {
    writeFileSync(target, text);
    console.log(`gen:${name}: wrote ${what} to ${relative}`);
    return;
  }
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // missing counts as stale
  }
  if (current !== text) {
    console.error(`${relative} is out of date.\nRun \`npm run build && npm run gen:${name}\` and commit the result.`);
    process.exit(1);
  }
  console.log(`check:${name}: ${relative} matches ${what}`);
}
