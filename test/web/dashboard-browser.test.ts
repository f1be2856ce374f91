/**
 * The web dashboard in a real browser: Debian's headless Chromium driven by playwright-core,
 * against a JobManager and a TaskManager as processes whose REST server serves the dashboard built
 * by `npm run build`. A job runs; the pages must show it (overview, job graph with its vertices and
 * edges, counters that move without a reload), cancel it from the page, and say so when the job
 * has left the JobManager's history. Screenshots of the overview and the job page are written to
 * test-artefacts/dashboard/ (gitignored; the path is printed).
 *
 * Needs /usr/bin/chromium (EDDY_CHROMIUM to use another): `apt-get install chromium`, which
 * .ci/run does on a machine that lacks it.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { fileURLToPath } from 'node:url';
import { JobClient, prepareJobFile, type PreparedJob } from '@eddy/client';
import { newJobId } from '@eddy/runtime';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startJobManager, startTaskManager, stopClusterProcesses, waitFor, type JobManagerProcess } from '../cluster/cluster-harness.js';

after(stopClusterProcesses);

const CHROMIUM = process.env['EDDY_CHROMIUM'] ?? '/usr/bin/chromium';
/** Flags that let Chromium run headless as root in a container, without reaching the network. */
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];
const JOB_FILE = fileURLToPath(new URL('../../../test/web/jobs/dashboard-job.ts', import.meta.url));
const ARTEFACTS = fileURLToPath(new URL('../../../test-artefacts/dashboard/', import.meta.url));

interface PlanNode {
  id: string;
  inputs?: { id: string; ship_strategy: string }[];
}
interface JobJson {
  state: string;
  vertices: { id: string; name: string }[];
  plan: { nodes: PlanNode[] };
}

/** Runs a test's checks; when one fails, saves the page as it was then beside the screenshots. */
async function keepFailure(t: TestContext, page: Page, checks: () => Promise<void>): Promise<void> {
  try {
    await checks();
  } catch (error) {
    const file = join(ARTEFACTS, `failed-${t.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 60)}.png`);
    await page.screenshot({ path: file, fullPage: true }).then(
      () => t.diagnostic(`screenshot of the failure: ${file}`),
      () => undefined,
    );
    throw error;
  }
}

describe('the web dashboard in a browser', () => {
  let jobManager: JobManagerProcess;
  let rest: string;
  let client: JobClient;
  let browser: Browser;
  let page: Page;
  let jobId: string;
  /** The job bundled once; the history test submits it a second time. */
  let prepared: PreparedJob;
  const scratch = mkdtempSync(join(tmpdir(), 'eddy-dashboard-test-'));

  const getJson = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const response = await fetch(`${rest}${path}`, { signal: AbortSignal.timeout(5_000) });
    return { status: response.status, body: (await response.json()) as T };
  };

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `No Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium; .ci/run does it) or set EDDY_CHROMIUM to a Chromium binary`);
    // A history of one finished job: the second job the test ends pushes the first one out.
    // Failure detection slower than the harness's: a TaskManager slowed down by a loaded machine is
    // not declared lost, which would be a failure the test did not plan.
    const config = { 'heartbeat.timeout': '20 s' };
    jobManager = await startJobManager({ config: { ...config, 'rest.port': '0', 'jobstore.max-capacity': '1' } });
    const started = await jobManager.waitForLine((line) => line.msg === 'REST endpoint started', 'the REST endpoint', 15_000);
    rest = started['restAddress'] as string;
    const [, launched] = await Promise.all([
      startTaskManager(jobManager.address, { slots: 4, config }),
      chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, timeout: 20_000 }),
    ]);
    // Playwright ends the browser it launched when this process exits or gets SIGTERM.
    browser = launched;
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(15_000);
    client = await JobClient.connect(jobManager.address);
    await waitFor(async () => (await client.requestTaskManagers()).reduce((sum, tm) => sum + tm.slotsTotal, 0) === 4, 'the TaskManager to offer its 4 slots');
    prepared = await prepareJobFile(JOB_FILE, { args: [join(scratch, 'checkpoints')] });
    ({ jobId } = await client.submitPreparedJob(prepared));
    // Its first attempt fails on purpose: wait until it has restarted and runs again.
    await waitFor(
      async () =>
        (await getJson<JobJson>(`/jobs/${jobId}`)).body.state === 'RUNNING' &&
        ((await getJson<{ exceptionHistory?: { entries: unknown[] } }>(`/jobs/${jobId}/exceptions`)).body.exceptionHistory?.entries.length ?? 0) > 0,
      'the job to fail once and run again',
      15_000,
    );
    mkdirSync(ARTEFACTS, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await client?.close();
    await prepared?.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('shows TaskManagers, slots and the running job on the overview', (t) => keepFailure(t, page, async () => {
    await page.goto(`${rest}/`);
    const stat = (name: string) => page.locator(`[data-stat="${name}"] .stat-value`);
    await waitFor(async () => (await stat('taskmanagers').textContent()) === '1', 'the overview to count 1 TaskManager');
    await waitFor(async () => (await stat('jobs-running').textContent()) === '1', 'the overview to count 1 running job');
    assert.equal(await stat('slots-total').textContent(), '4');
    await page.locator(`tr[data-job-id="${jobId}"]`).waitFor();
    await page.locator('tr[data-taskmanager-id]').first().waitFor();
    const file = join(ARTEFACTS, 'overview.png');
    await page.screenshot({ path: file, fullPage: true });
    t.diagnostic(`screenshot: ${file}`);
  }));

  it("draws the job graph with the job's vertices and edges, its counters move without a reload, and it lists the job's exception", (t) => keepFailure(t, page, async () => {
    const job = (await getJson<JobJson>(`/jobs/${jobId}`)).body;
    await page.locator(`tr[data-job-id="${jobId}"] a`).click();
    await page.waitForFunction(`location.hash === '#/jobs/${jobId}'`);
    await page.evaluate('window.marker = 42');

    const vertices = page.locator('svg.job-graph g.vertex');
    await waitFor(async () => (await vertices.count()) === job.vertices.length, `${job.vertices.length} vertices drawn`);
    assert.deepEqual((await vertices.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('data-vertex-id')))).sort(), job.vertices.map((v) => v.id).sort());
    for (const vertex of job.vertices) {
      assert.equal(await page.locator(`g.vertex[data-vertex-id="${vertex.id}"] title`).textContent(), vertex.name);
    }
    const expectedEdges = job.plan.nodes.flatMap((node) => (node.inputs ?? []).map((input) => `${input.id}->${node.id} ${input.ship_strategy}`)).sort();
    assert.equal(expectedEdges.length, 2, 'the job has a keyBy edge and a rebalance edge');
    const drawnEdges = await page.locator('svg.job-graph g.edge').evaluateAll((edges) => edges.map((edge) => `${edge.getAttribute('data-edge')} ${edge.querySelector('text')?.textContent ?? ''}`));
    assert.deepEqual(drawnEdges.sort(), expectedEdges);
    assert.deepEqual(expectedEdges.map((edge) => edge.split(' ')[1]).sort(), ['HASH', 'REBALANCE']);

    // The source's records out, as the page shows them, rise from one poll to the next.
    const source = job.plan.nodes.find((node) => (node.inputs ?? []).length === 0)!.id;
    const recordsOut = async () => Number((await page.locator(`g.vertex[data-vertex-id="${source}"]`).getAttribute('data-records-out')) || '0');
    const first = await recordsOut();
    await waitFor(async () => (await recordsOut()) > first, `the source's records out to rise above ${first} on the page`);
    const second = await recordsOut();
    await waitFor(async () => (await recordsOut()) > second, `the source's records out to rise above ${second} on the page`);
    await page.locator('.vertex .vertex-meta', { hasText: /out \d[\d.]* ?K?\/s/ }).first().waitFor();
    await page.locator('tr[data-checkpoint-id]').first().waitFor();
    await page.locator('tr[data-subtask]').first().waitFor();
    // The exception the API lists first (the planned failure, or whatever failed that attempt).
    const exceptions = (await getJson<{ exceptionHistory: { entries: { taskName: string }[] } }>(`/jobs/${jobId}/exceptions`)).body;
    const failedTask = exceptions.exceptionHistory.entries[0]!.taskName;
    await page.locator('#exceptions details.exception', { hasText: failedTask }).first().waitFor();
    await page.locator('#transitions [data-transition="RESTARTING"]').waitFor();
    assert.equal(await page.evaluate('window.marker'), 42, 'the page updated in place, without a reload');
    const file = join(ARTEFACTS, 'job.png');
    await page.screenshot({ path: file, fullPage: true });
    t.diagnostic(`screenshot: ${file}`);
  }));

  it('cancels the job from its page', (t) => keepFailure(t, page, async () => {
    await page.locator('[data-action="cancel-job"]').click();
    await page.locator('[data-action="confirm-cancel"]').click();
    await waitFor(async () => (await getJson<JobJson>(`/jobs/${jobId}`)).body.state === 'CANCELED', 'the job to be CANCELED', 15_000);
    await page.locator('.job-page[data-job-state="CANCELED"]').waitFor();
    assert.equal(await page.locator('[data-action="cancel-job"]').count(), 0, 'no cancel button on a canceled job');
  }));

  it('says so when the job has left the history', (t) => keepFailure(t, page, async () => {
    // The history keeps one ended job (jobstore.max-capacity 1): ending a second one evicts the first.
    const second = (await client.submitPreparedJob({ ...prepared, graph: { ...prepared.graph, jobId: newJobId() } })).jobId;
    await client.cancelJob(second);
    await waitFor(async () => (await getJson(`/jobs/${jobId}`)).status === 404, 'the first job to leave the history');
    await page.locator('[data-evicted]').waitFor();
    assert.match((await page.locator('[data-evicted]').textContent()) ?? '', /evicted.*jobstore\.max-capacity|jobstore\.max-capacity.*evicted/s);
  }));
});
