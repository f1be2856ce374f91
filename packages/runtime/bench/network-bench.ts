/**
 * Network benchmark: records per second of small records ({ word, count }) through the data plane.
 *
 *   npm run bench:network      (builds, then runs packages/runtime/dist/bench/network-bench.js)
 *   node packages/runtime/dist/bench/network-bench.js [--records N] [--runs R] [--credits C]
 *
 * Scenarios, one channel each, default options (32 KiB buffers, 4 credits, 8 queued buffers):
 *   writer-gate-one-thread      a ResultPartitionWriter and an InputGate in this thread, one
 *                               MessageChannel between them: the cost of the code itself;
 *   worker-threads-one-tm       a producer and a consumer worker thread wired by one
 *                               TaskManagerNetwork (what two tasks of one TaskManager do);
 *   two-tms-one-process         two RpcServices with a TaskManagerNetwork each in this process,
 *                               producer and consumer in worker threads, over gRPC on 127.0.0.1;
 *   two-tms-two-processes       the same with the producer's TaskManager in a child process.
 *
 * Time runs from connecting the consumer (the producer starts at the same moment; both threads
 * are up) to the consumer's end of input. Each scenario has a warm-up run, then `runs` measured
 * runs; the median is reported. Prints ONE JSON object on stdout; progress goes to stderr.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker, type MessagePort, MessageChannel } from 'node:worker_threads';
import { RpcService } from '@eddy/rpc';
import { InputGate } from '../src/network/input-gate.js';
import { DEFAULT_BUFFER_SIZE_BYTES, DEFAULT_BUFFER_TIMEOUT_MS, DEFAULT_CREDITS_PER_CHANNEL, DEFAULT_MAX_QUEUED_BUFFERS_PER_CHANNEL } from '../src/network/network-buffer.js';
import { ResultPartitionWriter } from '../src/network/result-partition-writer.js';
import { TaskManagerNetwork } from '../src/network/task-manager-network.js';
import type { BenchWorkerData, BenchWorkerReport } from './network-bench-worker.js';

const WORKER_URL = new URL('./network-bench-worker.js', import.meta.url);
const SCRIPT = fileURLToPath(import.meta.url);
const CHILD_FLAG = '--producer-taskmanager';

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at < 0 ? undefined : Number(process.argv[at + 1]);
  return value === undefined || !Number.isFinite(value) ? fallback : value;
}

const progress = (message: string): void => void process.stderr.write(`${message}\n`);

/** A bench task thread and the reports it sent. */
class BenchThread {
  readonly worker: Worker;
  readonly #reports: BenchWorkerReport[] = [];
  #wake: (() => void) | undefined;

  constructor(data: BenchWorkerData) {
    this.worker = new Worker(WORKER_URL, { workerData: data });
    this.worker.on('message', (report: BenchWorkerReport) => {
      this.#reports.push(report);
      this.#wake?.();
    });
    this.worker.on('error', (error) => {
      this.#reports.push({ type: 'failed', error: String(error) });
      this.#wake?.();
    });
  }

  deliverPort(index: number, port: MessagePort): void {
    this.worker.postMessage({ type: 'port', index, port }, [port]);
  }

  start(): void {
    this.worker.postMessage({ type: 'start' });
  }

  async next<T extends BenchWorkerReport['type']>(type: T): Promise<Extract<BenchWorkerReport, { type: T }>> {
    for (;;) {
      const failed = this.#reports.find((report) => report.type === 'failed');
      if (failed !== undefined && failed.type === 'failed') throw new Error(`bench thread failed: ${failed.error}`);
      const index = this.#reports.findIndex((report) => report.type === type);
      if (index >= 0) return this.#reports.splice(index, 1)[0] as Extract<BenchWorkerReport, { type: T }>;
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }
}

/** Where producers run: this process's network, or a child process's. */
interface ProducerSide {
  readonly address: string;
  deploy(partitionId: string, records: number): Promise<void>;
  start(partitionId: string): void;
  close(): Promise<void>;
}

/** Producers in worker threads of this process, registered with `network`. */
class LocalProducers implements ProducerSide {
  readonly #threads = new Map<string, BenchThread>();
  constructor(
    private readonly network: TaskManagerNetwork,
    readonly address: string,
  ) {}

  async deploy(partitionId: string, records: number): Promise<void> {
    const thread = new BenchThread({ role: 'producer', numberOfSubpartitions: 1, records });
    await thread.next('ready');
    this.network.registerProducer(partitionId, 1, (subpartition, port) => thread.deliverPort(subpartition, port));
    this.#threads.set(partitionId, thread);
  }

  start(partitionId: string): void {
    const thread = this.#threads.get(partitionId)!;
    thread.start();
    void thread.next('finished').then(
      async () => {
        this.network.unregisterProducer(partitionId);
        this.#threads.delete(partitionId);
        await thread.worker.terminate();
      },
      (error: unknown) => progress(`producer failed: ${String(error)}`),
    );
  }

  async close(): Promise<void> {
    await Promise.all([...this.#threads.values()].map((thread) => thread.worker.terminate()));
  }
}

type ChildCommand = { type: 'deploy'; partitionId: string; records: number } | { type: 'start'; partitionId: string } | { type: 'exit' };
type ChildReport = { type: 'ready'; address: string } | { type: 'deployed'; partitionId: string } | { type: 'failed'; error: string };

/** Producers in a child process that runs a TaskManager's RpcService and network. */
class ChildProducers implements ProducerSide {
  private constructor(
    private readonly child: ChildProcess,
    readonly address: string,
  ) {}

  static async start(): Promise<ChildProducers> {
    const child = fork(SCRIPT, [CHILD_FLAG], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const [ready] = (await once(child, 'message')) as [ChildReport];
    if (ready.type !== 'ready') throw new Error(`producer process: ${JSON.stringify(ready)}`);
    return new ChildProducers(child, ready.address);
  }

  async deploy(partitionId: string, records: number): Promise<void> {
    this.child.send({ type: 'deploy', partitionId, records } satisfies ChildCommand);
    const [answer] = (await once(this.child, 'message')) as [ChildReport];
    if (answer.type !== 'deployed') throw new Error(`producer process: ${JSON.stringify(answer)}`);
  }

  start(partitionId: string): void {
    this.child.send({ type: 'start', partitionId } satisfies ChildCommand);
  }

  async close(): Promise<void> {
    this.child.send({ type: 'exit' } satisfies ChildCommand);
    await once(this.child, 'exit');
  }
}

async function childMain(): Promise<void> {
  const rpc = await RpcService.start();
  const network = new TaskManagerNetwork({ rpcService: rpc });
  await network.start();
  const producers = new LocalProducers(network, rpc.address);
  const send = (report: ChildReport): void => void process.send!(report);
  process.on('message', (command: ChildCommand) => {
    if (command.type === 'deploy') {
      producers.deploy(command.partitionId, command.records).then(
        () => send({ type: 'deployed', partitionId: command.partitionId }),
        (error: unknown) => send({ type: 'failed', error: String(error) }),
      );
    } else if (command.type === 'start') {
      producers.start(command.partitionId);
    } else {
      void (async () => {
        await producers.close();
        network.close();
        await rpc.stop();
        process.exit(0);
      })();
    }
  });
  send({ type: 'ready', address: rpc.address });
}

let partitions = 0;
const CREDITS = argument('--credits', DEFAULT_CREDITS_PER_CHANNEL);

/** One run through a TaskManagerNetwork: records/s from connecting the consumer to its end of input. */
async function runThroughNetworks(producers: ProducerSide, consumerNetwork: TaskManagerNetwork, records: number): Promise<number> {
  const partitionId = `bench-${partitions++}`;
  await producers.deploy(partitionId, records);
  const consumer = new BenchThread({ role: 'consumer', numberOfChannels: 1, initialCredit: CREDITS });
  await consumer.next('ready');
  let failure: Error | undefined;
  const started = performance.now();
  consumerNetwork.connectConsumer(
    { producerAddress: producers.address, partitionId, subpartition: 0 },
    (port) => consumer.deliverPort(0, port),
    (error) => (failure = error),
  );
  producers.start(partitionId);
  const result = await consumer.next('result');
  const elapsedMs = performance.now() - started;
  await consumer.worker.terminate();
  if (failure !== undefined) throw failure;
  if (result.records !== records) throw new Error(`the consumer got ${result.records} of ${records} records`);
  return (records / elapsedMs) * 1000;
}

/** One run with writer and gate in this thread. */
async function runOneThread(records: number): Promise<number> {
  const words = Array.from({ length: 1000 }, (_, i) => `word-${i}`);
  let received = 0;
  let checksum = 0;
  let ended!: () => void;
  const done = new Promise<void>((resolve) => (ended = resolve));
  const gate = new InputGate({
    numberOfChannels: 1,
    onBatch: (batch) => {
      received += batch.length;
      for (const record of batch as { word: string; count: number }[]) checksum = (checksum + record.count + record.word.length) % 1_000_000_007;
    },
    onEndOfInput: () => ended(),
  });
  const writer = new ResultPartitionWriter({ numberOfSubpartitions: 1 });
  const started = performance.now();
  const { port1, port2 } = new MessageChannel();
  writer.connectSubpartition(0, port1);
  gate.connectChannel(0, port2);
  for (let i = 0; i < records; i++) {
    writer.emit({ word: words[i % 1000], count: i }, 0);
    if (writer.isBackPressured()) await writer.whenAvailable();
  }
  await writer.finish();
  await done;
  const elapsedMs = performance.now() - started;
  writer.close();
  if (received !== records) throw new Error(`the gate got ${received} of ${records} records`);
  return (records / elapsedMs) * 1000;
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function measure(name: string, runs: number, records: number, run: (records: number) => Promise<number>): Promise<{ recordsPerSecond: number; runs: number[] }> {
  await run(Math.min(records, 500_000)); // warm-up
  const rates: number[] = [];
  for (let i = 0; i < runs; i++) {
    rates.push(Math.round(await run(records)));
    progress(`${name}: ${(rates[rates.length - 1]! / 1e6).toFixed(2)} M records/s`);
  }
  return { recordsPerSecond: median(rates), runs: rates };
}

async function main(): Promise<void> {
  const records = argument('--records', 5_000_000);
  const runs = argument('--runs', 3);
  const results: Record<string, { recordsPerSecond: number; runs: number[] }> = {};

  results['writer-gate-one-thread'] = await measure('writer-gate-one-thread', runs, records, runOneThread);

  const rpcA = await RpcService.start();
  const rpcB = await RpcService.start();
  const networkA = new TaskManagerNetwork({ rpcService: rpcA });
  const networkB = new TaskManagerNetwork({ rpcService: rpcB });
  await networkA.start();
  await networkB.start();
  const localProducers = new LocalProducers(networkA, rpcA.address);
  results['worker-threads-one-tm'] = await measure('worker-threads-one-tm', runs, records, (n) => runThroughNetworks(localProducers, networkA, n));
  const otherTmProducers = new LocalProducers(networkB, rpcB.address);
  results['two-tms-one-process'] = await measure('two-tms-one-process', runs, records, (n) => runThroughNetworks(otherTmProducers, networkA, n));
  const childProducers = await ChildProducers.start();
  results['two-tms-two-processes'] = await measure('two-tms-two-processes', runs, records, (n) => runThroughNetworks(childProducers, networkA, n));

  await Promise.all([localProducers.close(), otherTmProducers.close(), childProducers.close()]);
  networkA.close();
  networkB.close();
  await Promise.all([rpcA.stop(), rpcB.stop()]);

  process.stdout.write(
    `${JSON.stringify(
      {
        benchmark: 'network',
        node: process.version,
        cpus: cpus().length,
        record: { word: 'word-123', count: 123 },
        recordsPerRun: records,
        runs,
        settings: {
          segmentSizeBytes: DEFAULT_BUFFER_SIZE_BYTES,
          bufferTimeoutMs: DEFAULT_BUFFER_TIMEOUT_MS,
          creditsPerChannel: CREDITS,
          maxQueuedBuffersPerChannel: DEFAULT_MAX_QUEUED_BUFFERS_PER_CHANNEL,
        },
        results,
      },
      null,
      2,
    )}\n`,
  );
}

if (process.argv.includes(CHILD_FLAG)) await childMain();
else await main();
