import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { InputGate } from '../../src/network/input-gate.js';
import { ChannelClosedError, CorruptBufferError } from '../../src/network/network-errors.js';
import {
  CodecRecordBatchSerializer,
  defaultRecordBatchSerializer,
  MsgpackRecordBatchSerializer,
  type RecordBatchSerializer,
} from '../../src/network/record-batch-serializer.js';
import { ResultPartitionWriter } from '../../src/network/result-partition-writer.js';
import { TaskIOMetrics } from '../../src/metrics/task-io-metrics.js';
import { emitRespectingBackPressure, settle, until, wire, type WordCount } from './fixtures/network-test-utils.js';

/** A gate that records what it receives, per channel. */
function recordingGate(numberOfChannels: number, initialCredit = 4) {
  const received: unknown[][] = Array.from({ length: numberOfChannels }, () => []);
  const events: string[] = [];
  const errors: Error[] = [];
  let batches = 0;
  const gate = new InputGate({
    numberOfChannels,
    initialCredit,
    onBatch: (records, channel) => {
      batches++;
      received[channel]!.push(...records);
    },
    onEndOfInput: () => events.push('end'),
    onError: (error) => errors.push(error),
  });
  return {
    gate,
    received,
    events,
    errors,
    get batches() {
      return batches;
    },
  };
}

describe('ResultPartitionWriter and InputGate in one thread', () => {
  it('delivers every record of every channel, in order, across many buffers', async () => {
    // Two producers with three subpartitions each, all-to-all into three consumers.
    const writers = [0, 1].map(() => new ResultPartitionWriter({ numberOfSubpartitions: 3, bufferSizeBytes: 1024 }));
    const consumers = [0, 1, 2].map(() => recordingGate(2));
    for (const [w, writer] of writers.entries()) for (const [c, consumer] of consumers.entries()) wire(writer, c, consumer.gate, w);
    const perWriter = 60_000;
    await Promise.all(
      writers.map((writer, w) =>
        emitRespectingBackPressure(writer, perWriter, (index) => writer.emit({ word: `w${w}`, count: index }, index % 3)),
      ),
    );
    await Promise.all(writers.map((writer) => writer.finish()));
    await until(() => consumers.every((consumer) => consumer.events.length === 1), 'every consumer to end');
    for (const consumer of consumers) {
      assert.deepEqual(consumer.errors, []);
      assert.ok(consumer.batches > 100, `only ${consumer.batches} buffers: the test should cross many`);
      for (const [w, records] of consumer.received.entries()) {
        assert.equal(records.length, perWriter / 3);
        const counts = (records as WordCount[]).map((record) => record.count);
        const c = consumers.indexOf(consumer);
        assert.ok(counts.every((count, i) => count === c + 3 * i), `channel ${w} of consumer ${c} is out of order`);
        assert.ok((records as WordCount[]).every((record) => record.word === `w${w}`));
      }
    }
  });

  it('counts numRecordsOut per cut buffer: every record once per subpartition it went to, all of them by finish()', async () => {
    const metrics = new TaskIOMetrics();
    const writer = new ResultPartitionWriter({ numberOfSubpartitions: 2, bufferSizeBytes: 1024, numRecordsOut: metrics.numRecordsOut });
    const consumers = [0, 1].map(() => recordingGate(1));
    consumers.forEach((consumer, c) => wire(writer, c, consumer.gate, 0));
    await emitRespectingBackPressure(writer, 5_000, (index) => writer.emit(index, index % 2));
    writer.broadcastEmit('to both');
    await writer.finish();
    assert.equal(metrics.snapshot().numRecordsOut, 5_002, 'a broadcast record counts once per subpartition');
    await until(() => consumers.every((consumer) => consumer.events.length === 1), 'every consumer to end');
    assert.equal(consumers[0]!.received[0]!.length + consumers[1]!.received[0]!.length, 5_002);
    assert.equal(metrics.snapshot().numRecordsIn, 0);
  });

  it('ends each channel after its last record and ends the input once, after every channel ended', async () => {
    const writers = [0, 1].map(() => new ResultPartitionWriter({ numberOfSubpartitions: 1 }));
    const seen: string[] = [];
    const gate = new InputGate({
      numberOfChannels: 2,
      onBatch: (records, channel) => seen.push(...records.map((record) => `${channel}:${String(record)}`)),
      onEndOfInput: () => seen.push('end'),
    });
    writers.forEach((writer, index) => wire(writer, 0, gate, index));
    writers[0]!.emit('a', 0);
    await writers[0]!.finish();
    await settle();
    assert.deepEqual(seen, ['0:a'], 'one channel ending does not end the input');
    assert.equal(gate.isFinished, false);
    writers[1]!.emit('b', 0);
    writers[1]!.emit('c', 0);
    await writers[1]!.finish();
    await until(() => gate.isFinished, 'the input to end');
    await settle();
    assert.deepEqual(seen, ['0:a', '1:b', '1:c', 'end']);
    assert.throws(() => writers[1]!.emit('d', 0), /finished/);
  });

  it('flushes a partly filled buffer once it is older than the buffer timeout, not before', async (t) => {
    mock.timers.enable({ apis: ['setTimeout'] });
    t.after(() => mock.timers.reset());
    const writer = new ResultPartitionWriter({ numberOfSubpartitions: 1, bufferTimeoutMs: 100 });
    const consumer = recordingGate(1);
    wire(writer, 0, consumer.gate, 0);
    await settle();
    for (const word of ['to', 'be', 'or']) writer.emit({ word, count: 1 }, 0);
    await settle();
    mock.timers.tick(99);
    await settle();
    assert.equal(consumer.batches, 0, 'nothing goes out before the timeout');
    mock.timers.tick(1);
    await settle();
    assert.deepEqual(consumer.received[0], ['to', 'be', 'or'].map((word) => ({ word, count: 1 })));
    assert.equal(consumer.batches, 1);
    writer.emit({ word: 'not', count: 1 }, 0);
    mock.timers.tick(100);
    await settle();
    assert.equal(consumer.batches, 2, 'the timer is armed again by the next record');
    writer.close();
  });

  it('sends every record on its own with a buffer timeout of 0', async () => {
    const writer = new ResultPartitionWriter({ numberOfSubpartitions: 1, bufferTimeoutMs: 0 });
    const consumer = recordingGate(1);
    wire(writer, 0, consumer.gate, 0);
    await settle();
    writer.emit('first', 0);
    await until(() => consumer.batches === 1, 'the first record');
    writer.emit('second', 0);
    await until(() => consumer.batches === 2, 'the second record');
    assert.deepEqual(consumer.received[0], ['first', 'second']);
    writer.close();
  });

  it('cuts buffers of about the configured size', async () => {
    const sizes: number[] = [];
    const measuring = (): RecordBatchSerializer => {
      const inner = new CodecRecordBatchSerializer();
      return {
        encode: (records) => {
          const bytes = inner.encode(records);
          sizes.push(bytes.byteLength);
          return bytes;
        },
        decode: (bytes) => inner.decode(bytes),
      };
    };
    const writer = new ResultPartitionWriter({ numberOfSubpartitions: 1, bufferSizeBytes: 8192, serializerFactory: measuring });
    const consumer = recordingGate(1);
    wire(writer, 0, consumer.gate, 0);
    await emitRespectingBackPressure(writer, 100_000, (index) => writer.emit({ word: `word-${index % 1000}`, count: index }, 0));
    await writer.finish();
    const steady = sizes.slice(5);
    const within = steady.filter((size) => size > 8192 * 0.75 && size <= 8192 * 1.1).length;
    assert.ok(within >= steady.length * 0.95, `buffer sizes ${steady.slice(0, 20).join(', ')}...`);
  });

  it('holds at most credits + max-queued buffers while its consumer returns no credit, then resumes', async () => {
    const writer = new ResultPartitionWriter({ numberOfSubpartitions: 1, bufferSizeBytes: 1024, maxQueuedBuffersPerChannel: 8 });
    const consumer = recordingGate(1, 4);
    consumer.gate.pause();
    wire(writer, 0, consumer.gate, 0);
    await settle(); // the initial credit arrives
    let emitted = 0;
    while (!writer.isBackPressured()) writer.emit({ word: 'backpressure', count: emitted++ }, 0);
    assert.equal(writer.queuedBuffers, 8, 'eight full buffers wait for credit (four went out against the initial credit)');
    let available = false;
    void writer.whenAvailable().then(() => (available = true));
    // Nothing the consumer does not ask for moves: the writer stays backpressured, its queue does not grow.
    for (let round = 0; round < 5; round++) {
      await settle();
      assert.equal(writer.queuedBuffers, 8);
      assert.equal(consumer.batches, 0);
      assert.equal(available, false);
    }
    consumer.gate.resume();
    await until(() => available, 'the writer to become available');
    assert.ok(consumer.batches >= 4);
    await writer.finish();
    await until(() => consumer.events.length === 1, 'the end of input');
    assert.deepEqual(
      (consumer.received[0] as WordCount[]).map((record) => record.count),
      Array.from({ length: emitted }, (_, i) => i),
    );
  });

  it('ends normally when its producer finishes and goes away while the gate is paused', async () => {
    // A sink held back by its own output (a full collect buffer) pauses its gate; the producer's
    // END_OF_PARTITION arrives then, and its thread ends and closes the port before the resume.
    const writer = new ResultPartitionWriter({ numberOfSubpartitions: 1, bufferSizeBytes: 1024 });
    const consumer = recordingGate(1, 4);
    wire(writer, 0, consumer.gate, 0);
    await settle(); // the initial credit arrives
    consumer.gate.pause();
    for (let count = 0; count < 10; count++) writer.emit({ word: 'last', count }, 0);
    await writer.finish();
    writer.close();
    await settle();
    assert.deepEqual(consumer.errors, [], 'a closed port after END_OF_PARTITION is no failure');
    consumer.gate.resume();
    await until(() => consumer.events.length === 1, 'the end of input');
    assert.equal(consumer.received[0]?.length, 10);
    assert.deepEqual(consumer.errors, []);
  });

  it('counts records emitted before the consumer connected towards backpressure, and delivers them once it does', async () => {
    const writer = new ResultPartitionWriter({ numberOfSubpartitions: 2, bufferSizeBytes: 512, maxQueuedBuffersPerChannel: 2 });
    let emitted = 0;
    while (!writer.isBackPressured()) writer.emit(emitted++, emitted % 2);
    assert.ok(emitted > 10);
    const consumer = recordingGate(2);
    await settle();
    wire(writer, 0, consumer.gate, 0);
    wire(writer, 1, consumer.gate, 1);
    await writer.whenAvailable();
    await writer.finish();
    await until(() => consumer.events.length === 1, 'the end of input');
    assert.deepEqual(
      [...consumer.received[0]!, ...consumer.received[1]!].sort((a, b) => (a as number) - (b as number)),
      Array.from({ length: emitted }, (_, i) => i),
    );
    assert.ok((consumer.received[1] as number[]).every((value, i, all) => i === 0 || value > all[i - 1]!));
  });

  it('sends a broadcast record to every subpartition, in order with the others', async () => {
    const writer = new ResultPartitionWriter({ numberOfSubpartitions: 3 });
    const consumers = [0, 1, 2].map(() => recordingGate(1));
    consumers.forEach((consumer, index) => wire(writer, index, consumer.gate, 0));
    writer.emit('only-0', 0);
    writer.broadcastEmit({ rule: 'everyone' });
    writer.emit('only-2', 2);
    await writer.finish();
    await until(() => consumers.every((consumer) => consumer.events.length === 1), 'every consumer to end');
    assert.deepEqual(consumers[0]!.received[0], ['only-0', { rule: 'everyone' }]);
    assert.deepEqual(consumers[1]!.received[0], [{ rule: 'everyone' }]);
    assert.deepEqual(consumers[2]!.received[0], [{ rule: 'everyone' }, 'only-2']);
  });

  it('fails the writer when its consumer goes away before the end, and the gate when its producer does', async () => {
    const errors: Error[] = [];
    const writer = new ResultPartitionWriter({ numberOfSubpartitions: 2, onError: (error) => errors.push(error) });
    const gone = recordingGate(1);
    const other = recordingGate(1);
    wire(writer, 0, gone.gate, 0);
    wire(writer, 1, other.gate, 0);
    writer.emit('x', 0);
    writer.flushAll();
    await until(() => gone.batches === 1, 'the first buffer');
    gone.gate.close();
    await until(() => errors.length === 1, 'the writer to fail');
    assert.ok(errors[0] instanceof ChannelClosedError);
    assert.match(errors[0].message, /consumer of subpartition 0 went away/);
    assert.throws(() => writer.emit('y', 1), ChannelClosedError);
    await assert.rejects(writer.whenAvailable(), ChannelClosedError);
    assert.equal(writer.isBackPressured(), true, 'a failed writer sends its task to whenAvailable()');
    // The writer closed its other subpartitions, so their consumer fails too.
    await until(() => other.errors.length === 1, 'the other consumer to fail');
    assert.ok(other.errors[0] instanceof ChannelClosedError);
    assert.match(other.errors[0].message, /Input channel 0 was closed before its END_OF_PARTITION/);
  });

  it('fails the writer, not its thread, when a batch cannot be encoded as the flush timer cuts it', async (t) => {
    mock.timers.enable({ apis: ['setTimeout'] });
    t.after(() => mock.timers.reset());
    const picky = (): RecordBatchSerializer => {
      const inner = new CodecRecordBatchSerializer();
      return {
        encode: (records) => {
          if (records.includes('poison')) throw new TypeError('poison is not a record');
          return inner.encode(records);
        },
        decode: (bytes) => inner.decode(bytes),
      };
    };
    const errors: Error[] = [];
    const writer = new ResultPartitionWriter({ numberOfSubpartitions: 1, serializerFactory: picky, onError: (error) => errors.push(error) });
    const consumer = recordingGate(1);
    wire(writer, 0, consumer.gate, 0);
    await settle();
    writer.emit('fine', 0);
    writer.emit('poison', 0);
    mock.timers.tick(100);
    await settle();
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /Could not serialize a batch of 2 records for subpartition 0: poison is not a record/);
    assert.throws(() => writer.emit('more', 0), /Could not serialize/);
    await assert.rejects(writer.finish(), /Could not serialize/);
    await until(() => consumer.errors.length === 1, 'the consumer to see its channel close');
  });

  it('fails the gate on a buffer it cannot read', async () => {
    const consumer = recordingGate(1);
    const { port1, port2 } = new MessageChannel();
    consumer.gate.connectChannel(0, port2);
    const bogus = new Uint8Array([0, 1, 0x42, 1, 0xdf]).buffer; // DATA: a batch of one record with a tag the codec never uses
    port1.postMessage(bogus, [bogus]);
    await until(() => consumer.errors.length === 1, 'the gate to fail');
    assert.ok(consumer.errors[0] instanceof CorruptBufferError);
    port1.close();
  });
});

describe('the default serializer', () => {
  it('puts every buffer on the wire so that it decodes alone, in any order', async () => {
    const payloads: Uint8Array[] = [];
    const keeping = (): RecordBatchSerializer => {
      const inner = defaultRecordBatchSerializer();
      return {
        encode: (records) => inner.encode(records),
        decode: (bytes) => {
          payloads.push(bytes.slice());
          return inner.decode(bytes);
        },
      };
    };
    const writer = new ResultPartitionWriter({ numberOfSubpartitions: 1, bufferSizeBytes: 1024 });
    const received: unknown[] = [];
    const gate = new InputGate({ numberOfChannels: 1, serializerFactory: keeping, onBatch: (records) => received.push(...records), onEndOfInput: () => undefined });
    wire(writer, 0, gate, 0);
    const record = (i: number): unknown => (i % 3 === 0 ? { word: `word-${i % 7}`, count: i } : i % 3 === 1 ? [`w${i % 5}`, i] : { id: i, at: new Date(i) });
    await emitRespectingBackPressure(writer, 2000, (i) => writer.emit(record(i), 0));
    await writer.finish();
    await until(() => received.length === 2000, 'every record');
    assert.ok(payloads.length > 10, `${payloads.length} buffers`);
    // A fresh serializer, buffers from last to first: each holds its own shapes.
    const alone = defaultRecordBatchSerializer();
    const again = payloads.toReversed().flatMap((bytes) => alone.decode(bytes).toReversed()).toReversed();
    assert.deepEqual(again, Array.from({ length: 2000 }, (_, i) => record(i)));
    // The fifth buffer alone, with nothing decoded before it.
    const before = payloads.slice(0, 4).reduce((sum, bytes) => sum + defaultRecordBatchSerializer().decode(bytes).length, 0);
    const fifth = defaultRecordBatchSerializer().decode(payloads[4]!);
    assert.deepEqual(fifth, received.slice(before, before + fifth.length));
    writer.close();
    gate.close();
  });
});

describe('MsgpackRecordBatchSerializer', () => {
  it('round-trips the values records are made of, and learns record shapes per stream', () => {
    const producer = new MsgpackRecordBatchSerializer();
    const consumer = new MsgpackRecordBatchSerializer();
    const batch = [
      { word: 'hello', count: 1, at: new Date(1000), tags: new Set(['a']), big: 2n ** 70n, nothing: undefined, empty: null },
      [1, 'two', { three: 3 }],
      'plain',
      42.5,
    ];
    const first = producer.encode(batch);
    assert.deepEqual(consumer.decode(Buffer.from(first)), batch);
    const words = Array.from({ length: 100 }, (_, i) => ({ word: 'w', count: i }));
    const once = producer.encode(words).byteLength;
    const again = producer.encode(words).byteLength;
    assert.ok(again <= once, 'a known shape costs no more than the first time');
    assert.ok(again < 100 * 6, `100 small records took ${again} bytes: their keys were not shared`);
  });
});
