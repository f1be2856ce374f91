import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { connect, createServer, type AddressInfo } from 'node:net';
import type { MessagePort } from 'node:worker_threads';
import { Configuration } from '@eddy/common';
import { RpcService } from '@eddy/rpc';
import { InputGate } from '../../src/network/input-gate.js';
import { ChannelClosedError, ConnectionLostError, PartitionNotFoundError } from '../../src/network/network-errors.js';
import { ResultPartitionWriter } from '../../src/network/result-partition-writer.js';
import { TaskManagerNetwork } from '../../src/network/task-manager-network.js';
import { emitRespectingBackPressure, settle, until, type WordCount } from './fixtures/network-test-utils.js';

/** One TaskManager's data plane: its RpcService and network. */
interface TestTaskManager {
  readonly rpc: RpcService;
  readonly network: TaskManagerNetwork;
  readonly address: string;
}

async function startTaskManager(properties: Record<string, string> = {}): Promise<TestTaskManager> {
  const rpc = await RpcService.start();
  const network = new TaskManagerNetwork({ rpcService: rpc, configuration: Configuration.fromRecord(properties) });
  await network.start();
  return { rpc, network, address: rpc.address };
}

async function stopTaskManager(taskManager: TestTaskManager): Promise<void> {
  taskManager.network.close();
  await taskManager.rpc.stop();
}

/** A producer "task" in this thread: its writer, registered with a TaskManager's network. */
function deployProducer(taskManager: TestTaskManager, partitionId: string, numberOfSubpartitions: number, errors: Error[] = []): ResultPartitionWriter {
  const writer = new ResultPartitionWriter({ numberOfSubpartitions, bufferSizeBytes: 8192, onError: (error) => errors.push(error) });
  taskManager.network.registerProducer(partitionId, numberOfSubpartitions, (subpartition, port) => writer.connectSubpartition(subpartition, port));
  return writer;
}

/** A consumer "task" in this thread: a gate whose channels read the given subpartitions. */
function deployConsumer(taskManager: TestTaskManager, channels: { producerAddress: string; partitionId: string; subpartition: number }[]) {
  const received: WordCount[][] = channels.map(() => []);
  const gateErrors: Error[] = [];
  const connectErrors: Error[] = [];
  let ended = false;
  const gate = new InputGate({
    numberOfChannels: channels.length,
    onBatch: (records, channel) => {
      const into = received[channel]!;
      for (const record of records) into.push(record as WordCount);
    },
    onEndOfInput: () => (ended = true),
    onError: (error) => gateErrors.push(error),
  });
  const connections = channels.map((consumed, index) =>
    taskManager.network.connectConsumer(
      consumed,
      (port: MessagePort) => gate.connectChannel(index, port),
      (error) => connectErrors.push(error),
    ),
  );
  return {
    gate,
    received,
    gateErrors,
    connectErrors,
    connections,
    get ended() {
      return ended;
    },
  };
}

describe('TaskManagerNetwork within one TaskManager', () => {
  let tm: TestTaskManager;
  before(async () => (tm = await startTaskManager({ 'taskmanager.network.request-timeout': '300 ms' })));
  after(() => stopTaskManager(tm));

  it('connects a producer and a consumer whichever is deployed first', async () => {
    // Consumer first: it waits for the producer.
    const early = deployConsumer(tm, [{ producerAddress: tm.address, partitionId: 'p-late', subpartition: 0 }]);
    await settle();
    const late = deployProducer(tm, 'p-late', 1);
    // Producer first.
    const first = deployProducer(tm, 'p-early', 2);
    const second = deployConsumer(tm, [
      { producerAddress: tm.address, partitionId: 'p-early', subpartition: 1 },
      { producerAddress: tm.address, partitionId: 'p-early', subpartition: 0 },
    ]);
    await emitRespectingBackPressure(late, 1000, (i) => late.emit({ word: 'late', count: i }, 0));
    await emitRespectingBackPressure(first, 1000, (i) => first.emit({ word: 'early', count: i }, i % 2));
    await Promise.all([late.finish(), first.finish()]);
    await until(() => early.ended && second.ended, 'both consumers to end');
    assert.deepEqual(early.received[0]!.map((r) => r.count), Array.from({ length: 1000 }, (_, i) => i));
    assert.deepEqual(second.received[0]!.map((r) => r.count), Array.from({ length: 500 }, (_, i) => 2 * i + 1));
    assert.deepEqual(second.received[1]!.map((r) => r.count), Array.from({ length: 500 }, (_, i) => 2 * i));
    assert.deepEqual([...early.connectErrors, ...second.connectErrors], []);
    tm.network.unregisterProducer('p-late');
    tm.network.unregisterProducer('p-early');
  });

  it('fails consumers of a released partition at once, waiting or not, naming the partition', async () => {
    const waiting = deployConsumer(tm, [{ producerAddress: tm.address, partitionId: 'p-released', subpartition: 0 }]);
    await settle();
    tm.network.unregisterProducer('p-released');
    await until(() => waiting.connectErrors.length === 1, 'the waiting consumer to fail');
    const later = deployConsumer(tm, [{ producerAddress: tm.address, partitionId: 'p-released', subpartition: 0 }]);
    await until(() => later.connectErrors.length === 1, 'the later consumer to fail');
    for (const error of [...waiting.connectErrors, ...later.connectErrors]) {
      assert.ok(error instanceof PartitionNotFoundError, `got ${String(error)}`);
      assert.equal(error.reason, 'released');
      assert.match(error.message, /Partition p-released \(subpartition 0\) not found at TaskManager .*: its producer was unregistered/);
    }
  });

  it('fails a consumer whose producer does not register within the request timeout, and one asking for a subpartition twice', async () => {
    const started = Date.now();
    const lonely = deployConsumer(tm, [{ producerAddress: tm.address, partitionId: 'p-never', subpartition: 0 }]);
    await until(() => lonely.connectErrors.length === 1, 'the request to time out');
    assert.ok(Date.now() - started >= 290);
    const timeout = lonely.connectErrors[0];
    assert.ok(timeout instanceof PartitionNotFoundError);
    assert.equal(timeout.reason, 'timeout');
    assert.match(timeout.message, /within 300 ms; raise taskmanager\.network\.request-timeout/);

    const writer = deployProducer(tm, 'p-twice', 1);
    const one = deployConsumer(tm, [{ producerAddress: tm.address, partitionId: 'p-twice', subpartition: 0 }]);
    const two = deployConsumer(tm, [{ producerAddress: tm.address, partitionId: 'p-twice', subpartition: 0 }]);
    await until(() => two.connectErrors.length === 1, 'the second consumer to be refused');
    assert.equal((two.connectErrors[0] as PartitionNotFoundError).reason, 'already consumed');
    assert.deepEqual(one.connectErrors, []);
    writer.close();
    tm.network.unregisterProducer('p-twice');
  });

  it('calls nobody back for a cancelled connection', async () => {
    const consumer = deployConsumer(tm, [{ producerAddress: tm.address, partitionId: 'p-cancelled', subpartition: 0 }]);
    consumer.connections[0]!.cancel();
    // A second request for the same partition, made after it, times out no earlier than the
    // cancelled one would have.
    const witness = deployConsumer(tm, [{ producerAddress: tm.address, partitionId: 'p-cancelled', subpartition: 0 }]);
    await until(() => witness.connectErrors.length === 1, 'the request made after the cancelled one to time out');
    assert.equal((witness.connectErrors[0] as PartitionNotFoundError).reason, 'timeout');
    assert.deepEqual(consumer.connectErrors, []);
  });
});

describe('TaskManagerNetwork between two TaskManagers', () => {
  let producerTm: TestTaskManager;
  let consumerTm: TestTaskManager;
  before(async () => {
    producerTm = await startTaskManager({ 'taskmanager.network.request-timeout': '500 ms', 'taskmanager.network.handshake-timeout': '300 ms' });
    consumerTm = await startTaskManager();
  });
  after(async () => {
    await stopTaskManager(consumerTm);
    await stopTaskManager(producerTm);
  });
  afterEach(() => settle());

  it('multiplexes four channels over one connection, delivering 100,000 records each, in order', async (t) => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    t.after(() => process.off('warning', onWarning));
    const channels = 4;
    const perChannel = 100_000;
    const writer = deployProducer(producerTm, 'p-remote', channels);
    const consumer = deployConsumer(
      consumerTm,
      Array.from({ length: channels }, (_, subpartition) => ({ producerAddress: producerTm.address, partitionId: 'p-remote', subpartition })),
    );
    await emitRespectingBackPressure(writer, channels * perChannel, (i) => writer.emit({ word: `w${i % channels}`, count: i }, i % channels));
    await writer.finish();
    await until(() => consumer.ended, 'the consumer to end', 30_000);
    assert.deepEqual(consumerTm.network.connectedTaskManagers, [producerTm.address]);
    assert.equal(producerTm.network.servedConnections, 1);
    for (let channel = 0; channel < channels; channel++) {
      const records = consumer.received[channel]!;
      assert.equal(records.length, perChannel);
      assert.ok(
        records.every((record, i) => record.count === channel + channels * i && record.word === `w${channel}`),
        `channel ${channel} is out of order or mixed up`,
      );
    }
    assert.deepEqual([...consumer.connectErrors, ...consumer.gateErrors], []);
    assert.deepEqual(warnings.map((warning) => warning.message), [], 'no listeners pile up on the stream');
    producerTm.network.unregisterProducer('p-remote');
  });

  it('reports a partition the producer TaskManager does not have, naming it and that TaskManager', async () => {
    const consumer = deployConsumer(consumerTm, [{ producerAddress: producerTm.address, partitionId: 'p-missing', subpartition: 3 }]);
    await until(() => consumer.connectErrors.length === 1, 'the channel to fail');
    const error = consumer.connectErrors[0];
    assert.ok(error instanceof PartitionNotFoundError, `got ${String(error)}`);
    assert.equal(error.reason, 'timeout');
    assert.equal(error.producerAddress, producerTm.address);
    assert.match(error.message, new RegExp(`Partition p-missing \\(subpartition 3\\) not found at TaskManager ${producerTm.address}`));
    await until(() => consumer.gateErrors.length === 1, 'the gate to see its channel close');
  });

  it('fails every channel on a lost connection with ConnectionLostError, and the producers see their consumers go away', async () => {
    const lostTm = await startTaskManager();
    try {
      const producerErrors: Error[] = [];
      const writers = [0, 1].map((i) => deployProducer(lostTm, `p-lost-${i}`, 1, producerErrors));
      const consumer = deployConsumer(
        consumerTm,
        [0, 1].map((i) => ({ producerAddress: lostTm.address, partitionId: `p-lost-${i}`, subpartition: 0 })),
      );
      for (const writer of writers) {
        writer.emit({ word: 'before', count: 0 }, 0);
        writer.flushAll();
      }
      await until(() => consumer.received.every((records) => records.length === 1), 'the first records');
      lostTm.network.close();
      await until(() => consumer.connectErrors.length === 2, 'both channels to fail');
      for (const [i, error] of consumer.connectErrors.entries()) {
        assert.ok(error instanceof ConnectionLostError, `got ${String(error)}`);
        assert.equal(error.remoteAddress, lostTm.address);
        assert.match(error.message, new RegExp(`Lost the connection to TaskManager ${lostTm.address} while consuming partition p-lost-\\d \\(subpartition 0\\)`));
        assert.match(error.message, /closed the data connection/, `error ${i} says why`);
      }
      await until(() => consumer.gateErrors.length === 1, 'the gate to see its channels close');
      assert.ok(consumer.gateErrors[0] instanceof ChannelClosedError);
      await until(() => producerErrors.length === 2, 'both producers to fail');
      assert.ok(producerErrors.every((error) => error instanceof ChannelClosedError));
      assert.ok(!consumerTm.network.connectedTaskManagers.includes(lostTm.address), 'the lost connection is forgotten');
    } finally {
      await stopTaskManager(lostTm);
    }
  });

  it('fails a channel to a TaskManager that is not there with ConnectionLostError, within the request timeout', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const { port } = probe.address() as AddressInfo;
    await new Promise((resolve) => probe.close(resolve));
    const nowhere = `127.0.0.1:${port}`;
    const consumer = deployConsumer(consumerTm, [{ producerAddress: nowhere, partitionId: 'p-nowhere', subpartition: 0 }]);
    await until(() => consumer.connectErrors.length === 1, 'the channel to fail');
    const error = consumer.connectErrors[0];
    assert.ok(error instanceof ConnectionLostError, `got ${String(error)}`);
    assert.match(error.message, new RegExp(`Lost the connection to TaskManager ${nowhere} while consuming partition p-nowhere`));
    await until(() => consumer.gateErrors.length === 1, 'the gate to see its channel close');
  });

  it('turns away a peer that does not speak the data protocol, and keeps serving the others', async () => {
    const stranger = connect({ host: '127.0.0.1', port: producerTm.network.dataPort });
    stranger.write('GET / HTTP/1.1\r\nHost: example\r\n\r\n');
    await new Promise<void>((resolve) => stranger.once('close', () => resolve()));
    const writer = deployProducer(producerTm, 'p-after-stranger', 1);
    const consumer = deployConsumer(consumerTm, [{ producerAddress: producerTm.address, partitionId: 'p-after-stranger', subpartition: 0 }]);
    writer.emit({ word: 'still', count: 1 }, 0);
    writer.flushAll();
    await until(() => consumer.received[0]!.length === 1, 'the record to arrive');
  });

  it('closes a connection that sends no HELLO within taskmanager.network.handshake-timeout', async () => {
    const started = Date.now();
    const silent = connect({ host: '127.0.0.1', port: producerTm.network.dataPort });
    await new Promise<void>((resolve) => silent.once('close', () => resolve()).on('error', () => undefined));
    const waited = Date.now() - started;
    assert.ok(waited >= 250 && waited < 5000, `closed after the 300 ms handshake timeout (${waited} ms)`);
  });
});

describe('TaskManagerNetwork with security.auth.token', () => {
  const token = { 'security.auth.token': 'data-plane-test-token-0123456789' };
  let producerTm: TestTaskManager;
  let consumerTm: TestTaskManager;
  let strangerTm: TestTaskManager;
  before(async () => {
    producerTm = await startTaskManager({ ...token, 'taskmanager.network.request-timeout': '500 ms' });
    consumerTm = await startTaskManager(token);
    strangerTm = await startTaskManager({ 'security.auth.token': 'another-token-0123456789' });
  });
  after(async () => {
    for (const taskManager of [strangerTm, consumerTm, producerTm]) await stopTaskManager(taskManager);
  });
  afterEach(() => settle());

  it('serves a consumer whose HELLO proves the token', async () => {
    const writer = deployProducer(producerTm, 'p-token', 1);
    const consumer = deployConsumer(consumerTm, [{ producerAddress: producerTm.address, partitionId: 'p-token', subpartition: 0 }]);
    writer.emit({ word: 'in', count: 1 }, 0);
    writer.flushAll();
    await until(() => consumer.received[0]!.length === 1, 'the record to arrive');
  });

  it('drops a connection whose HELLO lacks the proof, or proves another token, before serving any partition', async () => {
    deployProducer(producerTm, 'p-guarded', 1);
    // A peer that speaks the protocol but knows no token: the HELLO of a cluster without one.
    const bare = connect({ host: '127.0.0.1', port: producerTm.network.dataPort });
    const hello = Buffer.from('eddy-data/1', 'utf8');
    const frame = Buffer.alloc(9 + hello.length);
    frame.writeUInt32BE(5 + hello.length, 0);
    frame.writeUInt8(0, 4);
    frame.writeUInt32BE(0, 5);
    hello.copy(frame, 9);
    bare.write(frame);
    let received = 0;
    bare.on('data', (chunk: Buffer) => (received += chunk.length)).on('error', () => undefined);
    await new Promise<void>((resolve) => bare.once('close', () => resolve()));
    assert.equal(received, 0, 'not a byte back');
    // A TaskManager of another cluster (another token) cannot consume.
    const consumer = deployConsumer(strangerTm, [{ producerAddress: producerTm.address, partitionId: 'p-guarded', subpartition: 0 }]);
    await until(() => consumer.connectErrors.length === 1 || consumer.gateErrors.length === 1, 'the stranger to be turned away');
    assert.equal(consumer.received[0]!.length, 0);
  });
});
