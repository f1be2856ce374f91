/**
 * The web dashboard against a JobManager with security.auth.token, in a real browser (Debian's
 * headless Chromium, as dashboard-browser.test.ts): the page loads without the token, asks for it
 * when the API answers 401, refuses a wrong one, and once given the right one shows the cluster;
 * the token stays out of the URL and out of cookies.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startJobManager, stopClusterProcesses, type JobManagerProcess } from '../cluster/cluster-harness.js';

after(stopClusterProcesses);

const CHROMIUM = process.env['EDDY_CHROMIUM'] ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];
const TOKEN = 'dashboard-auth-test-5f0c2a9e7d314b6a';

describe('the web dashboard of a JobManager with an auth token', () => {
  let jobManager: JobManagerProcess;
  let browser: Browser;
  let page: Page;
  /** Authorization headers the page's API requests carried. */
  const sent: (string | undefined)[] = [];

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `No Chromium at ${CHROMIUM}: install Debian's chromium (apt-get install chromium) or set EDDY_CHROMIUM`);
    const [started, launched] = await Promise.all([
      startJobManager({ config: { 'security.auth.token': TOKEN } }),
      chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, timeout: 20_000 }),
    ]);
    jobManager = started;
    browser = launched;
    page = await browser.newPage();
    page.setDefaultTimeout(15_000);
    page.on('request', (request) => {
      if (request.url().endsWith('/overview')) sent.push(request.headers()['authorization']);
    });
  });
  after(async () => browser?.close());

  it('loads without the token and asks for it, saying why the API refused', async () => {
    await page.goto(`${jobManager.restUrl}/`);
    await page.locator('[data-form="auth-token"]').waitFor();
    assert.match(await page.locator('[data-form="auth-token"]').innerText(), /needs its auth token/);
    assert.match(await page.locator('.error-note').first().innerText(), /needs the cluster's auth token/);
  });

  it('says so when the token is wrong, and keeps asking', async () => {
    await page.fill('[data-form="auth-token"] input', 'not-the-token');
    await page.click('[data-form="auth-token"] button');
    await page.locator('[data-form="auth-token"]', { hasText: 'refused the token' }).waitFor();
  });

  it('shows the cluster once given the token, which every API request then carries', async () => {
    await page.fill('[data-form="auth-token"] input', TOKEN);
    await page.click('[data-form="auth-token"] button');
    await page.locator('[data-stat="taskmanagers"] .stat-value', { hasText: '0' }).waitFor();
    assert.equal(await page.locator('[data-form="auth-token"]').count(), 0);
    assert.equal(sent.at(-1), `Bearer ${TOKEN}`);
    assert.equal(sent[0], undefined, 'the first request went without a token');
    assert.ok(!page.url().includes(TOKEN));
    assert.deepEqual(await page.context().cookies(), []);
  });
});
