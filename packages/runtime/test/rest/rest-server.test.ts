import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { buildRestApp, RestServer } from '../../src/rest/rest-server.js';
import type { RestApp } from '../../src/rest/rest-app.js';
import { attempt, JOB_ID, jobDetails, testingServices } from './rest-fixtures.js';

const ENDED = 'fedcba9876543210fedcba9876543210';

describe('the REST API (in-process, gateways doubled)', () => {
  const calls: string[] = [];
  const busy = (ms: number) => ({ backPressuredTimeMsPerSecond: ms, idleTimeMsPerSecond: 0, busyTimeMsPerSecond: 1000 - ms });
  const pressured = jobDetails();
  pressured.vertices[1]!.subtasks[1]!.attempts = [{ ...attempt(), ...busy(700) } as ReturnType<typeof attempt>];
  pressured.vertices[1]!.subtasks[0]!.attempts = [{ ...attempt(), ...busy(50) } as ReturnType<typeof attempt>];
  const jobs = [pressured, jobDetails({ jobId: ENDED, status: 'FINISHED', endTime: 2_000 })];
  let app: RestApp;
  const ready = buildRestApp({ services: testingServices(jobs, calls), maxContentLength: 1024 }).then((built) => (app = built.app));
  after(async () => app?.close());

  const get = async (url: string) => {
    await ready;
    const response = await app.inject({ method: 'GET', url });
    return { status: response.statusCode, body: response.json() as Record<string, unknown> };
  };

  it("answers unknown paths, jobs and vertices with 404 and Flink's error shape", async () => {
    assert.deepEqual(await get('/no/such/path'), { status: 404, body: { errors: ['Not found: /no/such/path'] } });
    const job = await get(`/jobs/${'1'.repeat(32)}`);
    assert.equal(job.status, 404);
    assert.match((job.body['errors'] as string[])[0]!, /No job 1{32}/);
    const vertex = await get(`/jobs/${JOB_ID}/vertices/nope`);
    assert.equal(vertex.status, 404);
    assert.match((vertex.body['errors'] as string[])[0]!, /has no vertex nope/);
  });

  it('answers a malformed job id, vertex id or trigger id with 400', async () => {
    for (const url of ['/jobs/xyz', `/jobs/${JOB_ID}1`, `/jobs/${JOB_ID}/vertices/a%20b`, `/jobs/${JOB_ID}/savepoints/nothex`, `/jobs/${JOB_ID}/checkpoints/details/x`]) {
      const { status, body } = await get(url);
      assert.equal(status, 400, url);
      assert.match((body['errors'] as string[])[0]!, /^Bad request: /, url);
    }
  });

  it('computes backpressure from the busy times the TaskManagers reported', async () => {
    const { body } = await get(`/jobs/${JOB_ID}/vertices/count/backpressure`);
    assert.equal(body['status'], 'ok');
    assert.equal(body['backpressure-level'], 'high');
    assert.deepEqual(
      (body['subtasks'] as { subtask: number; 'backpressure-level': string; ratio: number }[]).map((s) => [s.subtask, s['backpressure-level'], s.ratio]),
      [
        [0, 'ok', 0.05],
        [1, 'high', 0.7],
      ],
    );
    const source = (await get(`/jobs/${JOB_ID}/vertices/source/backpressure`)).body;
    assert.deepEqual([source['status'], source['backpressure-level']], ['ok', 'ok'], 'a source that waits for nothing');
  });

  it('writes only the fields the schemas declare', async () => {
    const { body } = await get(`/taskmanagers/tm-1`);
    assert.deepEqual(Object.keys(body).sort(), ['allocatedSlots', 'eventLoopLagMs', 'freeSlots', 'id', 'path', 'registeredAt', 'slotsNumber', 'timeSinceLastHeartbeat']);
    assert.deepEqual(body['allocatedSlots'], [{ index: 0, jobId: JOB_ID }]);
    const subtask = ((await get(`/jobs/${JOB_ID}/vertices/count`)).body['subtasks'] as Record<string, unknown>[])[1]!;
    assert.equal(subtask['backPressuredTimeMsPerSecond'], undefined);
  });

  it('cancels with PATCH (202), refuses a job that ended (409) and modes other than cancel (400)', async () => {
    await ready;
    assert.equal((await app.inject({ method: 'PATCH', url: `/jobs/${JOB_ID}?mode=cancel` })).statusCode, 202);
    assert.deepEqual(calls.splice(0), [`cancel ${JOB_ID}`]);
    const ended = await app.inject({ method: 'PATCH', url: `/jobs/${ENDED}` });
    assert.equal(ended.statusCode, 409);
    assert.match(ended.json<{ errors: string[] }>().errors[0]!, /already ended FINISHED/);
    assert.equal((await app.inject({ method: 'PATCH', url: `/jobs/${JOB_ID}?mode=stop` })).statusCode, 400);
  });

  it('triggers savepoints and stops as asynchronous operations with a trigger id', async () => {
    await ready;
    const triggered = await app.inject({ method: 'POST', url: `/jobs/${JOB_ID}/savepoints`, payload: { 'target-directory': '/tmp/sp' } });
    assert.equal(triggered.statusCode, 202);
    const id = triggered.json<{ 'request-id': string }>()['request-id'];
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.deepEqual((await get(`/jobs/${JOB_ID}/savepoints/${id}`)).body, { status: { id: 'COMPLETED' }, operation: { location: '/tmp/sp/savepoint-1' } });
    const stopped = await app.inject({ method: 'POST', url: `/jobs/${JOB_ID}/stop`, payload: { drain: true } });
    assert.equal(stopped.statusCode, 202);
    assert.deepEqual(calls.splice(0), [`savepoint ${JOB_ID} stop=false drain=false dir=/tmp/sp`, `savepoint ${JOB_ID} stop=true drain=true dir=`]);
    assert.equal((await get(`/jobs/${JOB_ID}/savepoints/${'0'.repeat(32)}`)).status, 404);
    assert.equal((await app.inject({ method: 'POST', url: `/jobs/${JOB_ID}/savepoints`, payload: { 'cancel-job': true } })).statusCode, 400);
    assert.equal((await app.inject({ method: 'POST', url: `/jobs/${'1'.repeat(32)}/savepoints`, payload: {} })).statusCode, 404);
  });

  it('refuses a body over rest.server.max-content-length with 413', async () => {
    await ready;
    const response = await app.inject({ method: 'POST', url: `/jobs/${JOB_ID}/stop`, payload: { targetDirectory: 'x'.repeat(2048) } });
    assert.equal(response.statusCode, 413);
    assert.equal(response.json<{ errors: string[] }>().errors.length, 1);
  });

  it('serves its OpenAPI document with every route', async () => {
    const { body } = await get('/openapi.json');
    assert.equal(body['openapi'], '3.0.3');
    const paths = Object.keys(body['paths'] as object);
    for (const path of ['/overview', '/jobs/{jobid}', '/jobs/{jobid}/vertices/{vertexid}/backpressure', '/jobs/{jobid}/savepoints/{triggerid}', '/taskmanagers/{tmid}']) assert.ok(paths.includes(path), path);
    assert.ok(!paths.includes('/openapi.json'));
  });
});

describe('the REST server', () => {
  it('says which option to change when its port is taken, and closes cleanly', async () => {
    const options = { services: testingServices([]), bindAddress: '127.0.0.1', port: 0, advertisedHost: '127.0.0.1', maxContentLength: 1024, maxConnections: 10 };
    const first = await RestServer.start(options);
    try {
      assert.match(first.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal((await fetch(`${first.url}/jobs`)).status, 200);
      await assert.rejects(RestServer.start({ ...options, port: first.port }), /port is in use; set rest\.port to a free port \(0 picks one\)/);
    } finally {
      await first.close();
    }
    await assert.rejects(fetch(`${first.url}/jobs`));
  });
});
