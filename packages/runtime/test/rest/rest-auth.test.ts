import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { buildRestApp } from '../../src/rest/rest-server.js';
import type { RestApp } from '../../src/rest/rest-app.js';
import { JOB_ID, jobDetails, testingServices } from './rest-fixtures.js';

const TOKEN = 'rest-auth-test-token-0123456789';

/** A REST app with the token and a dashboard-like file served anonymously, in-process. */
async function appWith(readOnlyAnonymous: boolean): Promise<RestApp> {
  const { app } = await buildRestApp({
    services: testingServices([jobDetails()]),
    maxContentLength: 1024,
    auth: { token: TOKEN, readOnlyAnonymous },
    plugins: [(built) => void built.get('/index.html', { schema: { hide: true }, config: { anonymous: true } }, () => 'the page')],
  });
  return app;
}

const BEARER = { authorization: `Bearer ${TOKEN}` };

describe('the REST API with security.auth.token', () => {
  const apps: RestApp[] = [];
  after(async () => Promise.all(apps.map((app) => app.close())));

  it("answers 401 in Flink's shape, naming what to send, to a request without the token or with a wrong one", async () => {
    const app = await appWith(false);
    apps.push(app);
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: TOKEN }, { authorization: `Basic ${TOKEN}` }]) {
      for (const [method, url] of [
        ['GET', '/jobs/overview'],
        ['GET', `/jobs/${JOB_ID}/config`],
        ['PATCH', `/jobs/${JOB_ID}?mode=cancel`],
        ['POST', `/jobs/${JOB_ID}/savepoints`],
        ['GET', '/openapi.json'],
        ['GET', '/no/such/path'],
      ] as const) {
        const response = await app.inject({ method, url, headers });
        assert.equal(response.statusCode, 401, `${method} ${url} with ${JSON.stringify(headers)}`);
        assert.equal(response.headers['www-authenticate'], 'Bearer realm="eddy"');
        const errors = (response.json() as { errors: string[] }).errors;
        assert.equal(errors.length, 1);
        assert.match(errors[0]!, /Authorization: Bearer <token>/);
        assert.match(errors[0]!, /security\.auth\.token/);
        assert.ok(!response.body.includes(TOKEN));
      }
    }
  });

  it('answers a request with the token, and serves the dashboard files without it', async () => {
    const app = await appWith(false);
    apps.push(app);
    const jobs = await app.inject({ method: 'GET', url: '/jobs/overview', headers: BEARER });
    assert.equal(jobs.statusCode, 200);
    assert.equal((jobs.json() as { jobs: unknown[] }).jobs.length, 1);
    const cancel = await app.inject({ method: 'PATCH', url: `/jobs/${JOB_ID}?mode=cancel`, headers: BEARER });
    assert.equal(cancel.statusCode, 202);
    const page = await app.inject({ method: 'GET', url: '/index.html' });
    assert.equal(page.statusCode, 200);
    assert.equal(page.body, 'the page');
  });

  it('with security.rest.read-only-anonymous, opens GET requests only', async () => {
    const app = await appWith(true);
    apps.push(app);
    assert.equal((await app.inject({ method: 'GET', url: '/jobs/overview' })).statusCode, 200);
    assert.equal((await app.inject({ method: 'GET', url: `/jobs/${JOB_ID}` })).statusCode, 200);
    assert.equal((await app.inject({ method: 'PATCH', url: `/jobs/${JOB_ID}?mode=cancel` })).statusCode, 401);
    assert.equal((await app.inject({ method: 'POST', url: `/jobs/${JOB_ID}/savepoints`, payload: {} })).statusCode, 401);
    assert.equal((await app.inject({ method: 'POST', url: `/jobs/${JOB_ID}/stop`, payload: {} })).statusCode, 401);
  });

  it('publishes the bearer scheme in the OpenAPI document', async () => {
    const app = await appWith(false);
    apps.push(app);
    const document = (await app.inject({ method: 'GET', url: '/openapi.json', headers: BEARER })).json() as {
      components: { securitySchemes: Record<string, { type: string; scheme: string }> };
      security: unknown[];
    };
    assert.deepEqual(
      { type: document.components.securitySchemes['bearerAuth']?.type, scheme: document.components.securitySchemes['bearerAuth']?.scheme },
      { type: 'http', scheme: 'bearer' },
    );
    assert.deepEqual(document.security, [{ bearerAuth: [] }, {}]);
  });
});
