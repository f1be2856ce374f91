/**
 * A task thread of the network benchmark: a producer that emits small WordCount records once told
 * to start, or a consumer that sums what its gate delivers. Ports arrive as `{ type: 'port', index,
 * port }`, the way the TaskExecutor posts them.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { InputGate } from '../src/network/input-gate.js';
import { ResultPartitionWriter } from '../src/network/result-partition-writer.js';

export type BenchWorkerData =
  | { readonly role: 'producer'; readonly numberOfSubpartitions: number; readonly records: number }
  | { readonly role: 'consumer'; readonly numberOfChannels: number; readonly initialCredit?: number };

export type BenchWorkerMessage = { readonly type: 'port'; readonly index: number; readonly port: MessagePort } | { readonly type: 'start' };

export type BenchWorkerReport =
  | { readonly type: 'ready' }
  | { readonly type: 'finished' }
  | { readonly type: 'result'; readonly records: number; readonly checksum: number }
  | { readonly type: 'failed'; readonly error: string };

const data = workerData as BenchWorkerData;
const parent = parentPort!;
const report = (message: BenchWorkerReport): void => parent.postMessage(message);
const WORDS = Array.from({ length: 1000 }, (_, i) => `word-${i}`);

if (data.role === 'producer') {
  const writer = new ResultPartitionWriter({
    numberOfSubpartitions: data.numberOfSubpartitions,
    onError: (error) => report({ type: 'failed', error: `${error.name}: ${error.message}` }),
  });
  const produce = async (): Promise<void> => {
    const subpartitions = data.numberOfSubpartitions;
    for (let i = 0; i < data.records; i++) {
      writer.emit({ word: WORDS[i % 1000], count: i }, i % subpartitions);
      // Checked every record, as a task would between records; it is one comparison.
      if (writer.isBackPressured()) await writer.whenAvailable();
    }
    await writer.finish();
    writer.close();
    report({ type: 'finished' });
  };
  parent.on('message', (message: BenchWorkerMessage) => {
    if (message.type === 'port') writer.connectSubpartition(message.index, message.port);
    else produce().catch((error: unknown) => report({ type: 'failed', error: String(error) }));
  });
} else {
  let records = 0;
  let checksum = 0;
  const gate = new InputGate({
    numberOfChannels: data.numberOfChannels,
    ...(data.initialCredit === undefined ? {} : { initialCredit: data.initialCredit }),
    onBatch: (batch) => {
      records += batch.length;
      for (const record of batch as { word: string; count: number }[]) checksum = (checksum + record.count + record.word.length) % 1_000_000_007;
    },
    onEndOfInput: () => report({ type: 'result', records, checksum }),
    onError: (error) => report({ type: 'failed', error: `${error.name}: ${error.message}` }),
  });
  parent.on('message', (message: BenchWorkerMessage) => {
    if (message.type === 'port') gate.connectChannel(message.index, message.port);
  });
}
report({ type: 'ready' });
