import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

import { DashboardFiles } from '../../src/web/dashboard-files.js';

function builtDashboard(): string {
  const dir = mkdtempSync(join(tmpdir(), 'eddy-dashboard-files-'));
  mkdirSync(join(dir, 'assets'));
  writeFileSync(join(dir, 'index.html'), '<!doctype html><script type="module" src="./assets/index-abc.js"></script>');
  writeFileSync(join(dir, 'assets', 'index-abc.js'), `console.log(${JSON.stringify('x'.repeat(4000))});`);
  writeFileSync(join(dir, 'assets', 'index-abc.css'), 'body{margin:0}');
  return dir;
}

describe('DashboardFiles', () => {
  it('serves index.html at / uncached and hashed assets as immutable, gzipped when the client accepts it', () => {
    const dir = builtDashboard();
    try {
      const files = DashboardFiles.load(dir);
      assert.equal(files.missingFrom, undefined);
      const index = files.respond('/', {});
      assert.equal(index?.status, 200);
      assert.equal(index?.headers['content-type'], 'text/html; charset=utf-8');
      assert.equal(index?.headers['cache-control'], 'no-cache');
      assert.match(String(index?.body), /index-abc\.js/);

      const script = files.respond('/assets/index-abc.js', { 'accept-encoding': 'gzip, deflate, br' });
      assert.equal(script?.headers['content-type'], 'text/javascript; charset=utf-8');
      assert.equal(script?.headers['content-encoding'], 'gzip');
      assert.match(script?.headers['cache-control'] ?? '', /immutable/);
      assert.ok(script?.body !== undefined && script.body.length < 1000, 'the gzip copy is what is sent');
      assert.match(gunzipSync(script.body).toString(), /^console\.log/);
      assert.equal(files.respond('/assets/index-abc.js', {})?.headers['content-encoding'], undefined, 'plain without Accept-Encoding: gzip');
      assert.equal(files.respond('/assets/index-abc.css', { 'accept-encoding': 'gzip' })?.headers['content-encoding'], undefined, 'small files go as they are');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers 304 to a matching If-None-Match', () => {
    const dir = builtDashboard();
    try {
      const files = DashboardFiles.load(dir);
      const first = files.respond('/assets/index-abc.css', {});
      const again = files.respond('/assets/index-abc.css', { 'if-none-match': first?.headers['etag'] });
      assert.equal(again?.status, 304);
      assert.equal(again?.body, undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('serves only the files it read at start: unknown paths and paths out of its directory get nothing', () => {
    const dir = builtDashboard();
    try {
      const files = DashboardFiles.load(join(dir));
      writeFileSync(join(dir, 'assets', 'later.js'), 'late');
      for (const path of ['/assets/later.js', '/jobs', '/../index.html', '/assets/../index.html', '/assets', '/index.html/']) {
        assert.equal(files.respond(path, {}), undefined, path);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('answers / with how to build the dashboard when it is not built', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eddy-dashboard-files-'));
    try {
      const files = DashboardFiles.load(dir);
      assert.equal(files.missingFrom, dir);
      const page = files.respond('/', {});
      assert.equal(page?.status, 200);
      assert.match(String(page?.body), /not built.*npm run build/s);
      assert.deepEqual(files.paths(), ['/']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finds the dashboard this checkout built', () => {
    const files = DashboardFiles.load();
    assert.equal(files.missingFrom, undefined, 'npm run build writes packages/web-dashboard/dist');
    assert.ok(files.has('/') && files.paths().some((path) => /^\/assets\/.+\.js$/.test(path)));
  });
});
