import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Configuration, ConfigurationError, loadConfiguration } from '@eddy/common';
import { RpcOptions } from '../src/rpc-options.js';
import { RpcService } from '../src/rpc-service.js';

describe('RPC options', () => {
  it('are read through the one configuration path, the command line winning over EDDY_PROPERTIES', async () => {
    const configuration = loadConfiguration({
      options: Object.values(RpcOptions),
      flags: ['rpc.ask-timeout=250 ms'],
      environment: { EDDY_PROPERTIES: 'rpc.ask-timeout: 30 s\nrpc.max-message-size: 2 mb' },
    });
    const service = await RpcService.start({ configuration });
    try {
      assert.equal(service.askTimeoutMs, 250);
      assert.equal(service.maxMessageSize, 2 * 1024 * 1024);
    } finally {
      await service.stop();
    }
  });

  it('refuses "ten seconds" and a negative timeout at startup with the key and the expected form', () => {
    assert.throws(
      () => loadConfiguration({ options: Object.values(RpcOptions), environment: { EDDY_PROPERTIES: 'rpc.ask-timeout: ten seconds' } }),
      (error: unknown) =>
        error instanceof ConfigurationError && /rpc\.ask-timeout/.test(error.message) && /EDDY_PROPERTIES/.test(error.message) && /expected a duration/.test(error.message),
    );
    assert.throws(() => loadConfiguration({ options: Object.values(RpcOptions), flags: ['rpc.ask-timeout=-5 s'] }), /rpc\.ask-timeout.*expected a duration/);
  });

  it('makes RpcService.start() fail on an invalid value it is handed directly', async () => {
    await assert.rejects(RpcService.start({ configuration: Configuration.fromRecord({ 'rpc.max-message-size': 'huge' }) }), /rpc\.max-message-size.*expected/);
  });
});
