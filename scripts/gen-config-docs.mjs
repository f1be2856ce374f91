#!/usr/bin/env node
// Writes docs/configuration.md from the option declarations (allRuntimeOptions() of the built
// runtime package), so the reference cannot drift from the code. `--check` fails, naming the file,
// when the checked-in reference differs. Run after `npm run build`.

import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeOrCheck } from './generated-doc.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'docs', 'configuration.md');
const { allRuntimeOptions } = await import(pathToFileURL(join(root, 'packages', 'runtime', 'dist', 'src', 'index.js')).href);

const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
const options = [...allRuntimeOptions()].sort((a, b) => a.key.localeCompare(b.key));
let text = '# Configuration reference\n\n';
text += 'Generated from the option declarations by `npm run gen:config-docs`; `npm test` fails when it is stale.\n\n';
text += 'Values come from, in order of precedence: `-D key=value` flags, the `EDDY_PROPERTIES` environment variable ';
text += '(one `key: value` per line), a `--config` file in the same format, then the default. A job\'s own configuration ';
text += '(its JobGraph) overrides the cluster\'s for that job.\n\n';
text += '| key | default | expected | description |\n|---|---|---|---|\n';
for (const option of options) {
  text += `| \`${option.key}\` | \`${cell(option.defaultText)}\` | ${cell(option.expectedForm)} | ${cell(option.description)} |\n`;
}

writeOrCheck({ target, relative: 'docs/configuration.md', text, name: 'config-docs', what: `${options.length} options` });
