import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { Configuration } from '@eddy/common';
import { exposedListeners, isLoopbackHost, warnIfExposed } from '../../src/entrypoint/exposure-warning.js';

const WIDE = [
  { what: 'RPC port (jobmanager.rpc.port)', bindHost: '0.0.0.0' },
  { what: 'REST port (rest.port)', bindHost: '127.0.0.1' },
];

describe('the warning of a daemon that listens beyond loopback', () => {
  it('tells loopback addresses from the others', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', 'LOCALHOST', '::1', '[::1]', '::ffff:127.0.0.1']) assert.equal(isLoopbackHost(host), true, host);
    for (const host of ['0.0.0.0', '::', '10.0.0.5', '192.168.1.2', 'jobmanager', 'example.com', '::ffff:10.0.0.1', '']) assert.equal(isLoopbackHost(host), false, host);
  });

  it('finds the exposed listeners only when neither TLS nor a token is on', () => {
    assert.deepEqual(exposedListeners(WIDE, Configuration.empty()), [WIDE[0]]);
    assert.deepEqual(exposedListeners(WIDE, Configuration.fromRecord({ 'security.auth.token': 't0k3n' })), []);
    assert.deepEqual(exposedListeners(WIDE, Configuration.fromRecord({ 'security.ssl.internal.enabled': 'true' })), []);
    assert.deepEqual(exposedListeners(WIDE, Configuration.fromRecord({ 'security.ssl.internal.enabled': 'false' })), [WIDE[0]]);
    assert.deepEqual(exposedListeners([WIDE[1]!], Configuration.empty()), []);
  });

  it('logs one warning that names what is exposed and the options that close it, and nothing on loopback', () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _encoding, callback) {
          lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
          callback();
        },
      }),
    );
    warnIfExposed('JobManager', [WIDE[1]!], Configuration.empty(), logger);
    assert.equal(lines.length, 0);
    warnIfExposed('JobManager', WIDE, Configuration.empty(), logger);
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!['level'], 40);
    assert.deepEqual(lines[0]!['exposed'], ['RPC port (jobmanager.rpc.port) on 0.0.0.0']);
    assert.match(String(lines[0]!['msg']), /security\.auth\.token.*security\.ssl\.internal\.enabled/);
    assert.match(String(lines[0]!['msg']), /run code on every TaskManager/);
  });
});
