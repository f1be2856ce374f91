import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Worker, type MessagePort } from 'node:worker_threads';
import { RpcService } from '@eddy/rpc';
import { TaskManagerNetwork } from '../../src/network/task-manager-network.js';
import type { NetworkTaskWorkerData, NetworkTaskWorkerReport } from './fixtures/network-task-worker.js';

const WORKER_URL = new URL('./fixtures/network-task-worker.js', import.meta.url);

/** A task thread, with the reports it sent. */
class TestTaskThread {
  readonly worker: Worker;
  readonly reports: NetworkTaskWorkerReport[] = [];
  readonly #waiters: (() => void)[] = [];

  constructor(data: NetworkTaskWorkerData) {
    this.worker = new Worker(WORKER_URL, { workerData: data });
    this.worker.on('message', (report: NetworkTaskWorkerReport) => {
      this.reports.push(report);
      for (const wake of this.#waiters.splice(0)) wake();
    });
    this.worker.on('error', (error) => this.reports.push({ type: 'failed', error: String(error) }));
  }

  /** Posts a channel's port into the thread, as the TaskExecutor does. */
  deliverPort(index: number, port: MessagePort): void {
    this.worker.postMessage({ type: 'port', index, port }, [port]);
  }

  async next(type: NetworkTaskWorkerReport['type'], timeoutMs = 30_000): Promise<NetworkTaskWorkerReport> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.reports.find((report) => report.type === type);
      if (found !== undefined) return found;
      if (Date.now() > deadline) throw new Error(`No '${type}' report within ${timeoutMs} ms; got ${JSON.stringify(this.reports)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 100);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

describe('TaskManagerNetwork with task worker threads', () => {
  let rpc: RpcService;
  let network: TaskManagerNetwork;
  const threads: TestTaskThread[] = [];
  before(async () => {
    rpc = await RpcService.start();
    network = new TaskManagerNetwork({ rpcService: rpc });
    await network.start();
  });
  after(async () => {
    await Promise.all(threads.map((thread) => thread.worker.terminate()));
    network.close();
    await rpc.stop();
  });

  it('moves every record from two producer threads to two consumer threads of one TaskManager, in order per channel', async () => {
    const records = 200_000;
    const producers = [0, 1].map(() => new TestTaskThread({ role: 'producer', numberOfSubpartitions: 2, records }));
    const consumers = [0, 1].map(() => new TestTaskThread({ role: 'consumer', numberOfChannels: 2, numberOfSubpartitions: 2 }));
    threads.push(...producers, ...consumers);
    producers.forEach((producer, p) => network.registerProducer(`p${p}`, 2, (subpartition, port) => producer.deliverPort(subpartition, port)));
    const connectErrors: Error[] = [];
    consumers.forEach((consumer, c) =>
      [0, 1].forEach((p) =>
        network.connectConsumer(
          { producerAddress: rpc.address, partitionId: `p${p}`, subpartition: c },
          (port) => consumer.deliverPort(p, port),
          (error) => connectErrors.push(error),
        ),
      ),
    );
    for (const producer of producers) assert.equal((await producer.next('finished')).type, 'finished');
    for (const consumer of consumers) {
      const result = await consumer.next('result');
      assert.ok(result.type === 'result');
      assert.deepEqual(result.errors, []);
      assert.deepEqual(result.perChannel, [records / 2, records / 2]);
      assert.ok(result.inOrder, 'records arrive in order on every channel');
    }
    assert.deepEqual(connectErrors, []);
    for (const p of [0, 1]) network.unregisterProducer(`p${p}`);
  });

  it('fails the consumer thread\'s gate when its producer thread dies mid-stream', async () => {
    const producer = new TestTaskThread({ role: 'producer', numberOfSubpartitions: 1, records: Number.MAX_SAFE_INTEGER });
    const consumer = new TestTaskThread({ role: 'consumer', numberOfChannels: 1, numberOfSubpartitions: 1 });
    threads.push(producer, consumer);
    network.registerProducer('p-dying', 1, (subpartition, port) => producer.deliverPort(subpartition, port));
    network.connectConsumer({ producerAddress: rpc.address, partitionId: 'p-dying', subpartition: 0 }, (port) => consumer.deliverPort(0, port), () => undefined);
    await consumer.next('receiving');
    await producer.worker.terminate();
    const result = await consumer.next('result');
    assert.ok(result.type === 'result');
    assert.equal(result.errors.length, 1);
    assert.match(result.errors[0]!, /ChannelClosedError: Input channel 0 was closed before its END_OF_PARTITION/);
    assert.ok(result.perChannel[0]! > 0 && result.inOrder);
  });
});
