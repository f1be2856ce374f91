#!/usr/bin/env node
// Writes docs/rest-openapi.json, the OpenAPI document of the JobManager's REST API, from the
// routes' schemas (buildRestApp of the built runtime package, no cluster needed), so the checked-in
// document cannot drift from the code. `--check` fails, naming the file, when it differs. The live
// server serves the same document at /openapi.json. Run after `npm run build`.
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeOrCheck } from './generated-doc.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const target = join(root, 'docs', 'rest-openapi.json');
const { buildRestApp } = await import(pathToFileURL(join(root, 'packages', 'runtime', 'dist', 'src', 'rest', 'rest-server.js')).href);
const { silentLogger } = await import(pathToFileURL(join(root, 'packages', 'common', 'dist', 'src', 'index.js')).href);

// The routes only describe themselves here: no gateway is called.
const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not called while generating the OpenAPI document')) });
const { app } = await buildRestApp({
  services: { dispatcher: unused, resourceManager: unused, callTimeoutMs: 1, savepointTimeoutMs: 1, logger: silentLogger(), cache: unused, refreshIntervalMs: 1000 },
  maxContentLength: 1024 * 1024,
});
const document = app.swagger();
await app.close();
writeOrCheck({ target, relative: 'docs/rest-openapi.json', text: `${JSON.stringify(document, null, 2)}\n`, name: 'rest-openapi', what: `${Object.keys(document.paths).length} paths` });
