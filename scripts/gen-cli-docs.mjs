#!/usr/bin/env node
// Writes docs/cli.md from the commands themselves (the built CLI's createProgram() and commander's
// help for each), so the CLI reference cannot drift from the code. `--check` fails, naming the file,
// when the checked-in reference differs. Run after `npm run build`.

import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeOrCheck } from './generated-doc.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'docs', 'cli.md');
const { createProgram } = await import(pathToFileURL(join(root, 'packages', 'cli', 'dist', 'src', 'index.js')).href);

// A fixed width, so the reference does not depend on the terminal it was generated in.
const helpOf = (command) => command.configureHelp({ helpWidth: 100 }).helpInformation().trimEnd();
const program = createProgram();
let text = '# CLI reference\n\n';
text += 'Generated from the commands by `npm run gen:cli-docs`; `npm test` fails when it is stale.\n\n';
text += 'Every command that talks to a JobManager takes `-m host:port` (default `jobmanager.rpc.address:jobmanager.rpc.port`, ';
text += 'localhost:6123); `-D key=value` and `--config file` set [configuration options](configuration.md) everywhere. ';
text += 'Errors are one line on stderr and a non-zero exit code; `--verbose` adds the stack.\n\n';
text += '```\n' + helpOf(program) + '\n```\n';
for (const command of program.commands) {
  text += `\n## eddy ${command.name()}\n\n\`\`\`\n${helpOf(command)}\n\`\`\`\n`;
}

writeOrCheck({ target, relative: 'docs/cli.md', text, name: 'cli-docs', what: `${program.commands.length} commands` });
