/**
 * The Kafka connector against a real broker (one KRaft node started by the test file, shared by
 * its tests) and a real cluster (a JobManager and TaskManagers as child processes): a bounded read
 * of a topic with several partitions, and Kafka -> keyBy/count -> Kafka under failures, whose
 * output a read_committed consumer reads and compares with an independent count, update by update.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '../cluster/cluster-harness.js';
import { assertExactCounts, followToEnd, killBusyTaskManager, scratchDirectory, useCheckpointCluster } from '../checkpoint/checkpoint-test-utils.js';
import { KafkaBroker } from './kafka-broker.js';
import { createTopic, produceNumbers, readTopic } from './kafka-test-clients.js';
import { fileURLToPath } from 'node:url';

const JOB = fileURLToPath(new URL('../../../test/kafka/jobs/kafka-count.ts', import.meta.url));
const scratch = scratchDirectory('eddy-kafka-');
const KEYS = 10;

/** "k3 17" -> ["k3", 17] */
const pairs = (values: string[]): [string, number][] => values.map((value) => value.split(' ')).map(([key, count]) => [key as string, Number(count)]);

/** True once every key's highest running count adds up to `records`. */
function complete(output: [string, number][], records: number): boolean {
  const highest = new Map<string, number>();
  for (const [key, count] of output) highest.set(key, Math.max(highest.get(key) ?? 0, count));
  return [...highest.values()].reduce((a, b) => a + b, 0) >= records;
}

describe('the Kafka connector', () => {
  let broker: KafkaBroker;
  before(async () => {
    broker = await KafkaBroker.start();
  });
  after(async () => {
    await broker?.close();
  });
  const cluster = useCheckpointCluster({ taskManagers: 2, slots: 2, restartAttempts: 20 });

  it('reads a topic of four partitions to its end at parallelism 2 (bounded) and writes each running count once', async () => {
    const records = 2000;
    await createTopic(broker.bootstrapServers, 'bounded-in', 4);
    await createTopic(broker.bootstrapServers, 'bounded-out', 2);
    await produceNumbers(broker.bootstrapServers, 'bounded-in', 0, records);
    const { jobId } = await cluster.client.submitJobFile(JOB, { args: [broker.bootstrapServers, 'bounded-in', 'bounded-out', String(KEYS), 'AT_LEAST_ONCE', 'true'] });
    const terminal = await followToEnd(cluster.client, jobId);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    const failures = cluster.jobManager.linesWith(/failed|FAILED/).map((line) => JSON.stringify(line).slice(0, 1500));
    assert.equal((await cluster.client.requestJob(jobId)).restarts, 0, `no restart: ${failures.join('\n')}`);
    assertExactCounts(pairs(await readTopic(broker.bootstrapServers, 'bounded-out', false)), records, KEYS);
  });

  it('writes every running count exactly once (read_committed) while records keep coming and TaskManagers are killed twice', async () => {
    const before = 3000;
    const during = 3000;
    await createTopic(broker.bootstrapServers, 'eo-in', 4);
    await createTopic(broker.bootstrapServers, 'eo-out', 2);
    await produceNumbers(broker.bootstrapServers, 'eo-in', 0, before);
    const checkpoints = join(scratch, 'eo-chk');
    const { jobId } = await cluster.client.submitJobFile(JOB, {
      args: [broker.bootstrapServers, 'eo-in', 'eo-out', String(KEYS), 'EXACTLY_ONCE', 'false', checkpoints, '300', 'eo-test'],
    });
    const completed = (): number => cluster.jobManager.linesWith(/^Completed checkpoint \d+ for job/).filter((line) => line['jobId'] === jobId).length;
    for (let kill = 0; kill < 2; kill++) {
      const seen = completed();
      await waitFor(() => completed() >= seen + 1, `a completed checkpoint before kill ${kill + 1}`, 30_000);
      // Records produced while the job runs (an unbounded read), half before each kill.
      await produceNumbers(broker.bootstrapServers, 'eo-in', before + (kill * during) / 2, before + ((kill + 1) * during) / 2);
      await killBusyTaskManager(cluster, jobId, kill);
    }
    const records = before + during;
    let output: [string, number][] = [];
    await waitFor(
      async () => complete((output = pairs(await readTopic(broker.bootstrapServers, 'eo-out'))), records),
      () => `the committed output to count all ${records} records (has ${output.length} updates)`,
      60_000,
      500,
    );
    await cluster.client.cancelJob(jobId);
    assertExactCounts(pairs(await readTopic(broker.bootstrapServers, 'eo-out')), records, KEYS);
  });
});
