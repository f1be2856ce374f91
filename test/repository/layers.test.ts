/**
 * check:layers (scripts/check-layers.mjs) on Eddy's layout in miniature: clean, it passes; with one
 * deliberate violation of each rule, it fails naming every rule and the chain of imports that
 * breaks it. The repository itself is checked by `npm test` running check:layers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runScript, writeIn } from './scripts.js';

const layout = mkdtempSync(join(tmpdir(), 'eddy-layers-'));
const write = (path: string, text: string): void => writeIn(layout, path, text);

/** A package manifest whose exports map @eddy/<name>[/sub] to ./dist/src/..., as the real ones do. */
function manifest(name: string, exports: Record<string, string> = { '.': './dist/src/index.js' }): string {
  const entries = Object.entries(exports).map(([path, file]) => [path, { types: file.replace(/\.js$/, '.d.ts'), default: file }]);
  return JSON.stringify({ name: `@eddy/${name}`, type: 'module', exports: Object.fromEntries(entries) });
}

/** One module or two per package, importing as Eddy's do; stand-ins for pino, pino-pretty and grpc-js. */
const CLEAN: Record<string, string> = {
  'packages/api/src/index.ts': 'export const map = (n: number): number => n + 1;\n',
  'packages/common/src/config/index.ts': 'export const configured = true;\n',
  'packages/common/src/logging.ts': "import pino from 'pino';\nimport pretty from 'pino-pretty';\nexport const logger = [pino, pretty];\n",
  'packages/common/src/index.ts': "export * from './config/index.js';\nexport * from './logging.js';\n",
  'packages/rpc/src/index.ts': "import * as grpc from '@grpc/grpc-js';\nimport { logger } from '@eddy/common';\nexport const GrpcStatus = [grpc, logger];\n",
  'packages/cluster-common/src/index.ts': "import { GrpcStatus } from '@eddy/rpc';\nexport const blobClient = GrpcStatus;\n",
  'packages/runtime/src/network/data-frames.ts': "import { configured } from '@eddy/common/config';\nexport const frames = configured;\n",
  'packages/runtime/src/taskexecutor/task-worker.ts':
    "import { configured } from '@eddy/common/config';\nimport { frames } from '../network/data-frames.js';\nimport { map } from '@eddy/api';\nexport const worker = [configured, frames, map];\n",
  'packages/runtime/src/blob/blob-server.ts': "import { GrpcStatus } from '@eddy/rpc';\nimport { blobClient } from '@eddy/cluster-common';\nexport const server = [GrpcStatus, blobClient];\n",
  'packages/runtime/src/index.ts': "export * from './taskexecutor/task-worker.js';\nexport * from './blob/blob-server.js';\n",
  'packages/client/src/index.ts': "import { blobClient } from '@eddy/cluster-common';\nimport { map } from '@eddy/api';\nexport const client = [blobClient, map];\n",
  'packages/cli/src/index.ts': "import { client } from '@eddy/client';\nimport { worker } from '@eddy/runtime';\nexport const cli = [client, worker];\n",
};

function writeClean(): void {
  for (const [path, text] of Object.entries(CLEAN)) write(path, text);
}

/** One violation of each rule, each in a file of its own, and the line check:layers must print for it. */
const VIOLATIONS: { rule: string; why: string; path: string; text: string; reported: RegExp }[] = [
  {
    rule: 'layer-direction',
    why: 'common imports rpc, a layer above it',
    path: 'packages/common/src/config/index.ts',
    text: "import { GrpcStatus } from '@eddy/rpc';\nexport const configured = GrpcStatus;\n",
    reported: /layer-direction: packages\/common\/src\/config\/index\.ts -> packages\/rpc\/src\/index\.ts\n/,
  },
  {
    rule: 'api-imports-nothing-of-eddy',
    why: 'api imports configuration from common',
    path: 'packages/api/src/index.ts',
    text: "import { configured } from '@eddy/common/config';\nexport const map = (n: number): number => (configured ? n + 1 : n);\n",
    reported: /api-imports-nothing-of-eddy: packages\/api\/src\/index\.ts -> packages\/common\/src\/config\/index\.ts\n/,
  },
  {
    rule: 'client-no-taskmanager-code',
    why: "the client imports the runtime's entry point, which loads the task worker and the network code",
    path: 'packages/client/src/index.ts',
    text: "import { blobClient } from '@eddy/cluster-common';\nimport { server } from '@eddy/runtime';\nexport const client = [blobClient, server];\n",
    reported: /client-no-taskmanager-code: packages\/client\/src\/index\.ts -> packages\/runtime\/src\/index\.ts -> packages\/runtime\/src\/taskexecutor\/task-worker\.ts( \(and 1 more forbidden module\(s\) reached\))?\n/,
  },
  {
    rule: 'runtime-grpc-only-through-rpc',
    why: 'the blob server imports grpc-js itself',
    path: 'packages/runtime/src/blob/blob-server.ts',
    text: "import * as grpc from '@grpc/grpc-js';\nexport const server = grpc;\n",
    reported: /runtime-grpc-only-through-rpc: packages\/runtime\/src\/blob\/blob-server\.ts -> node_modules\/@grpc\/grpc-js\/index\.js\n/,
  },
  {
    rule: 'task-worker-loads-no-pino',
    why: "code the task worker loads imports @eddy/common's entry point, which loads pino and pino-pretty",
    path: 'packages/runtime/src/network/data-frames.ts',
    text: "import { configured } from '@eddy/common';\nexport const frames = configured;\n",
    reported:
      /task-worker-loads-no-pino: packages\/runtime\/src\/taskexecutor\/task-worker\.ts -> packages\/runtime\/src\/network\/data-frames\.ts -> packages\/common\/src\/index\.ts -> packages\/common\/src\/logging\.ts -> node_modules\/pino(-pretty)?\/index\.js \(and 1 more forbidden module\(s\) reached\)\n/,
  },
];

describe('check:layers', () => {
  before(() => {
    for (const name of ['api', 'rpc', 'cluster-common', 'runtime', 'client', 'cli']) write(`packages/${name}/package.json`, manifest(name));
    write('packages/common/package.json', manifest('common', { '.': './dist/src/index.js', './config': './dist/src/config/index.js' }));
    for (const module of ['pino', 'pino-pretty', '@grpc/grpc-js']) {
      write(`node_modules/${module}/package.json`, JSON.stringify({ name: module, main: 'index.js' }));
      write(`node_modules/${module}/index.js`, 'module.exports = {};\n');
    }
  });
  after(() => rmSync(layout, { recursive: true, force: true }));

  it('passes on the layout as it should be, type-only imports across layers included (they load nothing)', () => {
    writeClean();
    write('packages/runtime/src/network/data-frames.ts', "import type { logger } from '@eddy/common';\nexport const frames: typeof logger | undefined = undefined;\n");
    const check = runScript('check-layers.mjs', ['--root', layout]);
    assert.equal(check.status, 0, check.output);
    assert.match(check.output, /no import across a layer/);
  });

  describe('fails, naming the rule and the chain of imports, on one violation of each rule', () => {
    // One run for all five (each in its own file), as a run costs seconds.
    let check: { status: number | null; output: string };
    before(() => {
      writeClean();
      for (const { path, text } of VIOLATIONS) write(path, text);
      check = runScript('check-layers.mjs', ['--root', layout]);
    });

    for (const { rule, why, reported } of VIOLATIONS) {
      it(`${rule}: ${why}`, () => {
        assert.equal(check.status, 1, check.output);
        assert.match(check.output, reported);
      });
    }
  });
});
