import { describe, it } from 'node:test';
import assert from 'node:assert/strict';

import { silentLogger } from '@eddy/common';
import type { RestServices } from '../../src/rest/rest-app.js';
import { buildRestApp } from '../../src/rest/rest-server.js';
import { DashboardFiles } from '../../src/web/dashboard-files.js';
import { dashboardRestPlugin } from '../../src/web/dashboard-plugin.js';

/** Services no static route reads: a call to them fails the test. */
const services = {
  dispatcher: new Proxy({}, { get: () => () => Promise.reject(new Error('the dashboard routes call no gateway')) }),
  resourceManager: new Proxy({}, { get: () => () => Promise.reject(new Error('the dashboard routes call no gateway')) }),
  callTimeoutMs: 1_000,
  savepointTimeoutMs: 1_000,
  logger: silentLogger(),
} as unknown as RestServices;

describe('the dashboard on the REST server', () => {
  it('serves the built dashboard at / and its assets beside the API, kept out of the OpenAPI document', async () => {
    const files = DashboardFiles.load();
    const { app } = await buildRestApp({ services, maxContentLength: 1024 * 1024, plugins: [dashboardRestPlugin(files)] });
    try {
      const index = await app.inject({ method: 'GET', url: '/' });
      assert.equal(index.statusCode, 200);
      assert.match(index.headers['content-type'] as string, /^text\/html/);
      const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(index.body)?.[1];
      assert.ok(script !== undefined, 'index.html loads a script from assets/');
      const asset = await app.inject({ method: 'GET', url: `/${script}`, headers: { 'accept-encoding': 'gzip' } });
      assert.equal(asset.statusCode, 200);
      assert.equal(asset.headers['content-encoding'], 'gzip');
      assert.match(asset.headers['content-type'] as string, /^text\/javascript/);
      assert.equal((await app.inject({ method: 'HEAD', url: '/' })).statusCode, 200);

      const unknown = await app.inject({ method: 'GET', url: '/assets/missing.js' });
      assert.equal(unknown.statusCode, 404);
      assert.deepEqual(Object.keys(unknown.json()), ['errors'], "an unknown path gets the API's 404 in Flink's shape");

      const paths = Object.keys((await app.inject({ method: 'GET', url: '/openapi.json' })).json().paths as object);
      assert.ok(paths.includes('/overview'));
      assert.ok(!paths.some((path) => path === '/' || path.startsWith('/assets') || path === '/index.html'), `no dashboard file in ${paths.join(', ')}`);
    } finally {
      await app.close();
    }
  });
});
