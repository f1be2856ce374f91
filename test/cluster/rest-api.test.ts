/**
 * The JobManager's REST API on a real cluster (a JobManager and a TaskManager as child processes,
 * HTTP on 127.0.0.1, ephemeral ports): Flink's paths and shapes for a running checkpointed job,
 * savepoints, stop and cancel over HTTP, a failed job's exceptions, errors, and every response
 * held to the OpenAPI document the server publishes. Then load: 1,000 concurrent requests while a
 * job is submitted and heartbeats run, and the connection cap.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { checkpointJob, scratchDirectory } from '../checkpoint/checkpoint-test-utils.js';
import { ClusterClient, stopClusterProcesses, testJob, useCluster, waitFor } from './cluster-harness.js';
import { OpenApiValidator, type OpenApiDocument } from './openapi-validator.js';

after(stopClusterProcesses);

const MAX_CONNECTIONS = 300;
const CHECKED_IN_OPENAPI = fileURLToPath(new URL('../../../docs/rest-openapi.json', import.meta.url));
const scratch = scratchDirectory('eddy-rest-');

type Json = Record<string, unknown> & { errors?: string[] };

describe('the REST API', () => {
  const cluster = useCluster({ taskManagers: 1, slots: 4, config: { 'rest.server.max-connections': String(MAX_CONNECTIONS), 'restart-strategy.fixed-delay.attempts': '1' } });
  let validator: OpenApiValidator;
  let jobId = '';

  /** One request; its response is checked against the OpenAPI document before it is returned. */
  async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
    const response = await fetch(`${cluster.jobManager.restUrl}${path}`, {
      method,
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      signal: AbortSignal.timeout(10_000),
    });
    const json = (await response.json()) as Json;
    validator.validate(method, path, response.status, json);
    return { status: response.status, json };
  }
  const get = (path: string) => call('GET', path);

  before(async () => {
    const response = await fetch(`${cluster.jobManager.restUrl}/openapi.json`);
    const live = (await response.json()) as OpenApiDocument;
    // The checked-in document (check:rest-openapi keeps it current) is the one the server is held to.
    const checkedIn = JSON.parse(readFileSync(CHECKED_IN_OPENAPI, 'utf8')) as OpenApiDocument;
    assert.deepEqual(live, checkedIn, 'the server serves docs/rest-openapi.json');
    validator = new OpenApiValidator(checkedIn);
    const output = join(scratch, 'out');
    ({ jobId } = await cluster.client.submitJobFile(checkpointJob('unbounded-counter'), { args: ['5', '300', output, join(scratch, 'chk'), '100'] }));
  });

  it('logs where it listens, on loopback', async () => {
    assert.match(cluster.jobManager.restUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    const line = cluster.jobManager.linesWith('REST endpoint started')[0];
    assert.equal(line?.['restAddress'], cluster.jobManager.restUrl);
    assert.match(String(line?.['bindAddress']), /^127\.0\.0\.1:\d+$/);
  });

  it('shows the cluster, the job, its vertices, plan, records and TaskManager', async () => {
    const overview = (await get('/overview')).json;
    assert.deepEqual([overview['taskmanagers'], overview['slots-total'], overview['jobs-running']], [1, 4, 1]);
    assert.equal(((await get('/config')).json['features'] as Json)['web-cancel'], true);
    assert.deepEqual((await get('/jobs')).json['jobs'], [{ id: jobId, status: 'RUNNING' }]);
    const listed = ((await get('/jobs/overview')).json['jobs'] as Json[])[0]!;
    assert.equal(listed['jid'], jobId);
    assert.equal((listed['tasks'] as Json)['total'], 3);

    let details: Json = {};
    await waitFor(
      async () => {
        details = (await get(`/jobs/${jobId}`)).json;
        const vertices = details['vertices'] as { status: string; metrics: { 'read-records': number } }[];
        return details['state'] === 'RUNNING' && vertices.every((vertex) => vertex.status === 'RUNNING') && (vertices[1]?.metrics['read-records'] ?? 0) > 0;
      },
      'every vertex RUNNING and records counted',
      30_000,
    );
    const vertices = details['vertices'] as { id: string; name: string; parallelism: number }[];
    assert.deepEqual(
      vertices.map((vertex) => vertex.parallelism),
      [1, 2],
    );
    const nodes = (details['plan'] as { nodes: { id: string; inputs?: { id: string; ship_strategy: string }[] }[] }).nodes;
    assert.deepEqual(nodes[1]?.inputs?.map((input) => [input.id, input.ship_strategy]), [[vertices[0]!.id, 'HASH']]);

    const vertex = (await get(`/jobs/${jobId}/vertices/${vertices[1]!.id}`)).json;
    const subtasks = vertex['subtasks'] as { 'taskmanager-id': string; endpoint: string; status: string }[];
    assert.equal(subtasks.length, 2);
    for (const subtask of subtasks) {
      assert.equal(subtask['taskmanager-id'], cluster.taskManagers[0]!.taskManagerId);
      assert.match(subtask.endpoint, /^127\.0\.0\.1:\d+$/);
    }
    const backpressure = (await get(`/jobs/${jobId}/vertices/${vertices[1]!.id}/backpressure`)).json;
    assert.ok(backpressure['status'] === 'deprecated' || (backpressure['subtasks'] as unknown[]).length === 2, JSON.stringify(backpressure));
    assert.ok(Array.isArray((await get(`/jobs/${jobId}/vertices/${vertices[1]!.id}/watermarks`)).json));

    const config = (await get(`/jobs/${jobId}/config`)).json;
    assert.equal(config['jid'], jobId);
    const taskManagers = (await get('/taskmanagers')).json['taskmanagers'] as { id: string; slotsNumber: number; freeSlots: number }[];
    assert.deepEqual(taskManagers.map((tm) => [tm.id, tm.slotsNumber, tm.freeSlots]), [[cluster.taskManagers[0]!.taskManagerId, 4, 2]]);
    const taskManager = (await get(`/taskmanagers/${encodeURIComponent(taskManagers[0]!.id)}`)).json;
    assert.deepEqual(
      (taskManager['allocatedSlots'] as { jobId: string }[]).map((slot) => slot.jobId),
      [jobId, jobId],
    );
    assert.equal(typeof (await get(`/jobs/${jobId}/exceptions`)).json['truncated'], 'boolean');
  });

  it('shows checkpoints with per-subtask details', async () => {
    let checkpoints: Json = {};
    await waitFor(
      async () => {
        checkpoints = (await get(`/jobs/${jobId}/checkpoints`)).json;
        return ((checkpoints['counts'] as Json)['completed'] as number) >= 1;
      },
      'a completed checkpoint',
      30_000,
    );
    const latest = (checkpoints['latest'] as { completed: { id: number; status: string; num_subtasks: number; num_acknowledged_subtasks: number; external_path: string } }).completed;
    assert.equal(latest.status, 'COMPLETED');
    assert.equal(latest.num_subtasks, 3);
    assert.equal(latest.num_acknowledged_subtasks, 3);
    // Not checked on disk: with a checkpoint every 100 ms, a newer one may have subsumed it already.
    assert.ok(latest.external_path.startsWith(join(scratch, 'chk')) && latest.external_path.endsWith(`/chk-${latest.id}/_metadata`), latest.external_path);
    const one = (await get(`/jobs/${jobId}/checkpoints/details/${latest.id}`)).json;
    const vertexId = Object.keys(one['tasks'] as object)[1]!;
    const perSubtask = (await get(`/jobs/${jobId}/checkpoints/details/${latest.id}/subtasks/${vertexId}`)).json;
    assert.deepEqual(
      (perSubtask['subtasks'] as { index: number; status: string }[]).map((subtask) => [subtask.index, subtask.status]),
      [
        [0, 'completed'],
        [1, 'completed'],
      ],
    );
    assert.equal((await get(`/jobs/${jobId}/checkpoints/details/999999`)).status, 404);
  });

  it('takes a savepoint, then stops the job with one, as asynchronous operations', async () => {
    const savepoint = await call('POST', `/jobs/${jobId}/savepoints`, { 'target-directory': join(scratch, 'savepoints') });
    assert.equal(savepoint.status, 202);
    const completed = async (triggerId: string): Promise<Json> => {
      let status: Json = {};
      await waitFor(
        async () => {
          status = (await get(`/jobs/${jobId}/savepoints/${triggerId}`)).json;
          return (status['status'] as Json)['id'] === 'COMPLETED';
        },
        `savepoint ${triggerId} to complete`,
        30_000,
      );
      return status['operation'] as Json;
    };
    const taken = await completed(savepoint.json['request-id'] as string);
    assert.ok(existsSync(join(String(taken['location']), '_metadata')), JSON.stringify(taken));

    const stop = await call('POST', `/jobs/${jobId}/stop`, { targetDirectory: join(scratch, 'savepoints'), drain: false });
    assert.equal(stop.status, 202);
    const stopped = await completed(stop.json['request-id'] as string);
    const savepointLog = () => JSON.stringify(cluster.jobManager.lines.filter((line) => /avepoint|Stopping job|switched from/.test(line.msg)).slice(-30).map((line) => [line['time'], line.msg]));
    assert.ok(existsSync(join(String(stopped['location']), '_metadata')), `${JSON.stringify(stopped)}; the JobManager logged: ${savepointLog()}`);
    await waitFor(async () => (await get(`/jobs/${jobId}`)).json['state'] === 'FINISHED', 'the job FINISHED', 15_000);
    // /overview may answer from what it read up to web.refresh-interval ago.
    await waitFor(async () => JSON.stringify(await get('/overview').then(({ json }) => [json['jobs-running'], json['jobs-finished']])) === '[0,1]', 'the overview to count the job finished', 10_000);
  });

  it('cancels a job with PATCH, and refuses to cancel it twice', async () => {
    const client = await ClusterClient.connect(cluster.jobManager.address);
    const blobKey = await client.uploadTestTasks();
    const id = await client.submit(testJob('forever', blobKey, [['Forever', 1, 'runForever']]));
    await client.waitForStatus(id, 'RUNNING');
    assert.equal((await call('PATCH', `/jobs/${id}?mode=cancel`)).status, 202);
    await client.waitForStatus(id, 'CANCELED');
    const again = await call('PATCH', `/jobs/${id}`);
    assert.equal(again.status, 409);
    assert.match(again.json.errors![0]!, /already ended CANCELED/);
  });

  it("shows a failed job's root cause and the failures of its attempts", async () => {
    const client = await ClusterClient.connect(cluster.jobManager.address);
    const id = await client.submit(testJob('broken', await client.uploadTestTasks(), [['Broken', 1, 'throwError']]));
    await client.waitForStatus(id, 'FAILED');
    const exceptions = (await get(`/jobs/${id}/exceptions`)).json;
    assert.match(String(exceptions['root-exception']), /task failed on purpose/);
    const entries = (exceptions['exceptionHistory'] as { entries: { taskName: string; stacktrace: string; taskManagerId: string }[] }).entries;
    assert.equal(entries.length, 2, 'the first attempt and its one restart');
    for (const entry of entries) {
      assert.equal(entry.taskName, 'Broken (1/1)');
      assert.match(entry.stacktrace, /task failed on purpose/);
      assert.equal(entry.taskManagerId, cluster.taskManagers[0]!.taskManagerId);
    }
  });

  it("answers bad requests with Flink's error shape: 404 unknown job, vertex and path, 400 malformed ids", async () => {
    const unknown = 'f'.repeat(32);
    for (const [path, status] of [
      [`/jobs/${unknown}`, 404],
      [`/jobs/${unknown}/checkpoints`, 404],
      [`/jobs/${jobId}/vertices/nope`, 404],
      [`/jobs/${jobId}/savepoints/${unknown}`, 404],
      ['/taskmanagers/nope', 404],
      ['/no/such/path', 404],
      ['/jobs/not-a-job-id', 400],
      [`/jobs/${jobId}/vertices/bad%20id/watermarks`, 400],
    ] as const) {
      const response = await get(path);
      assert.equal(response.status, status, path);
      assert.equal(response.json.errors?.length, 1, path);
    }
    assert.equal((await call('POST', `/jobs/${unknown}/savepoints`, {})).status, 404);
  });

  it('answered on every operation of its OpenAPI document, each as the document says', () => {
    const missing = validator.operations.filter((operation) => !validator.covered.has(operation));
    assert.deepEqual(missing, [], 'operations this test did not call');
  });

  it('serves 1,000 concurrent requests while a job is submitted, and heartbeats keep the TaskManager', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 250 });
    const url = new URL(cluster.jobManager.restUrl);
    const getStatus = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const request = httpRequest({ host: url.hostname, port: url.port, path, agent, timeout: 30_000 }, (response) => {
          response.resume();
          response.on('end', () => resolve(response.statusCode ?? 0));
        });
        request.on('timeout', () => request.destroy(new Error(`no answer to ${path} within 30 s`)));
        request.on('error', reject);
        request.end();
      });
    const paths = ['/overview', `/jobs/${jobId}`, '/jobs/overview', '/taskmanagers', `/jobs/${jobId}/checkpoints`];
    const flood = Promise.all(Array.from({ length: 1000 }, (_, i) => getStatus(paths[i % paths.length]!)));
    const client = await ClusterClient.connect(cluster.jobManager.address);
    const submittedAt = Date.now();
    const id = await client.submit(testJob('during-flood', await client.uploadTestTasks(), [['Short', 1, 'runFor']], { 'test.run-for': '100' }));
    const submitMs = Date.now() - submittedAt;
    const statuses = await flood;
    agent.destroy();
    assert.deepEqual([...new Set(statuses)], [200], 'every request answered 200');
    assert.ok(submitMs < 5_000, `the submission took ${submitMs} ms during the flood`);
    console.log(`submission during the flood: ${submitMs} ms`);
    await client.waitForStatus(id, 'FINISHED', 30_000);
    assert.deepEqual(cluster.jobManager.linesWith('Removed TaskManager'), [], 'no TaskManager was declared lost');
    assert.equal(((await get('/overview')).json['taskmanagers'] as number), 1);
  });

  it('closes connections past rest.server.max-connections at once, and serves again after', async () => {
    const url = new URL(cluster.jobManager.restUrl);
    const sockets: Socket[] = [];
    let closed = 0;
    try {
      for (let i = 0; i < MAX_CONNECTIONS + 20; i++) {
        const socket = connect({ host: url.hostname, port: Number(url.port) });
        socket.on('error', () => undefined);
        socket.on('close', () => closed++);
        sockets.push(socket);
      }
      await waitFor(() => closed >= 20, () => `20 connections past the cap closed (${closed} so far)`, 10_000);
      assert.ok(closed <= 20 + 5, `${closed} connections closed: the ones under the cap stay open`);
    } finally {
      for (const socket of sockets) socket.destroy();
    }
    await waitFor(async () => (await fetch(`${cluster.jobManager.restUrl}/overview`).then((r) => r.status, () => 0)) === 200, 'the REST API to answer again', 10_000);
  });
});
