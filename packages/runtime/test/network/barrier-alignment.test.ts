/**
 * Barriers through the data plane: writers send them in order with the records, gates deliver
 * them as events, and a channel held back during alignment waits alone: the others go on, and its
 * producer stops only once the credit it had is used.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputGate, type ChannelEvent } from '../../src/network/input-gate.js';
import { barrierBuffer, BufferKind, eventBuffer } from '../../src/network/network-buffer.js';
import { ResultPartitionWriter } from '../../src/network/result-partition-writer.js';
import { until, wire } from './fixtures/network-test-utils.js';

describe('barriers in the data plane', () => {
  it('arrive after every record emitted before them and before every record after, then END_OF_DATA', async () => {
    const writer = new ResultPartitionWriter({ numberOfSubpartitions: 1, bufferTimeoutMs: 10_000 });
    const seen: string[] = [];
    let ended = false;
    const gate = new InputGate({
      numberOfChannels: 1,
      onBatch: (records) => seen.push(...records.map(String)),
      onEvent: (event: ChannelEvent) => seen.push(event.kind === 'barrier' ? `barrier ${event.barrier.checkpointId}` : 'end of data'),
      onEndOfInput: () => (ended = true),
    });
    wire(writer, 0, gate, 0);
    writer.emit('a', 0);
    writer.emit('b', 0);
    writer.broadcastEvent(barrierBuffer({ checkpointId: 7, timestamp: 1, exactlyOnce: true }));
    writer.emit('c', 0);
    writer.broadcastEvent(eventBuffer(BufferKind.END_OF_DATA));
    await writer.finish();
    await until(() => ended, 'the end of the input');
    assert.deepEqual(seen, ['a', 'b', 'barrier 7', 'c', 'end of data']);
    writer.close();
    gate.close();
  });

  it('holds back a blocked channel alone and delivers what it held, in order, once it is unblocked', async () => {
    const writers = [0, 1].map(() => new ResultPartitionWriter({ numberOfSubpartitions: 1, bufferSizeBytes: 256, bufferTimeoutMs: 0, maxQueuedBuffersPerChannel: 100 }));
    const received: number[][] = [[], []];
    const gate = new InputGate({ numberOfChannels: 2, initialCredit: 2, onBatch: (records, channel) => received[channel]!.push(...(records as number[])), onEndOfInput: () => {} });
    writers.forEach((writer, channel) => wire(writer, 0, gate, channel));
    await until(() => true, 'wiring');
    gate.blockChannel(0);
    for (let i = 0; i < 20; i++) for (const writer of writers) writer.emit(i, 0);
    await until(() => received[1]!.length === 20, 'the open channel to deliver everything');
    assert.deepEqual(received[0], [], 'the blocked channel delivers nothing');
    gate.unblockChannel(0);
    await until(() => received[0]!.length === 20, 'the unblocked channel to catch up');
    assert.deepEqual(received[0], Array.from({ length: 20 }, (_, i) => i));
    for (const writer of writers) writer.close();
    gate.close();
  });
});
