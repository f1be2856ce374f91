#!/usr/bin/env node
// The `eddy` command as npm links it (package.json "bin"). Checked in rather than built: npm links
// bins when it installs, before anything is compiled, and skips a bin whose file does not exist
// (then `npx eddy` says "could not determine executable to run"). This launcher only loads the
// compiled CLI, and says how to build it when it is missing.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/src/bin/eddy.js', import.meta.url);
if (!existsSync(entry)) {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  process.stderr.write(`eddy: the CLI is not built yet (${fileURLToPath(entry)} is missing); run \`npm run build\` in ${root}\n`);
  process.exit(1);
}
await import(entry.href);
