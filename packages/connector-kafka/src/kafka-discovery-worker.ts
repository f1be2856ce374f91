/**
 * The worker thread a KafkaSourceEnumerator lists partitions in (see kafka-partition-lister.ts for
 * why). Protocol: `{ type: 'list', id, known, initial }` is answered `{ id, splits }` or `{ id,
 * error: { message, retriable } }`; `{ type: 'close' }` closes the Kafka clients and answers
 * `{ type: 'closed' }`. Errors cross as data.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { describeError } from './kafka-client-options.js';
import { DiscoveryError, KafkaPartitionLister } from './kafka-partition-lister.js';
import type { KafkaEnumeratorSettings } from './kafka-split-assignment.js';

export type DiscoveryRequest = { readonly type: 'list'; readonly id: number; readonly known: readonly string[]; readonly initial: boolean } | { readonly type: 'close' };

const port = parentPort;
if (port === null) throw new Error('kafka-discovery-worker.js runs as a worker thread');
const lister = new KafkaPartitionLister((workerData as { settings: KafkaEnumeratorSettings }).settings);

port.on('message', (request: DiscoveryRequest) => {
  if (request.type === 'close') {
    void lister.close().then(() => port.postMessage({ type: 'closed' }));
    return;
  }
  lister.listNewPartitions(new Set(request.known), request.initial).then(
    (splits) => port.postMessage({ id: request.id, splits }),
    (error: unknown) => port.postMessage({ id: request.id, error: { message: describeError(error), retriable: !(error instanceof DiscoveryError) } }),
  );
});
