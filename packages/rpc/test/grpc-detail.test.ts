import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { grpcDetail } from '../src/grpc-transport.js';

describe('grpcDetail', () => {
  it("keeps the last connection error of grpc-js's pick-first message and drops an empty resolution note", () => {
    assert.equal(grpcDetail('No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:6123. Resolution note: '), 'connect ECONNREFUSED 127.0.0.1:6123');
  });

  it('keeps a resolution note that says something, after the error', () => {
    assert.equal(
      grpcDetail('No connection established. Last error: null. Resolution note: DNS resolution failed for no-such-host.invalid:6123: Error: getaddrinfo ENOTFOUND no-such-host.invalid'),
      'no connection established; DNS resolution failed for no-such-host.invalid:6123: Error: getaddrinfo ENOTFOUND no-such-host.invalid',
    );
    assert.equal(grpcDetail('No addresses resolved. Resolution note: '), 'no addresses resolved');
  });

  it('reads the round-robin form and leaves other details as they are', () => {
    assert.equal(grpcDetail('round_robin: No connection established. Last error: Error: read ECONNRESET'), 'read ECONNRESET');
    assert.equal(grpcDetail('Received RST_STREAM with code 2'), 'Received RST_STREAM with code 2');
  });
});
