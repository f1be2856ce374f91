/**
 * The Kafka connector against a real broker (one KRaft node started by the test file, shared by
 * its tests) and a real cluster (a JobManager and TaskManagers as child processes): a bounded read
 * of a topic with several partitions, and Kafka -> keyBy/count -> Kafka under failures, whose
 * output a read_committed consumer reads and compares with an independent count, update by update.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { waitFor } from '../cluster/cluster-harness.js';
import { assertExactCounts, followToEnd, killBusyTaskManager, scratchDirectory, useCheckpointCluster } from '../checkpoint/checkpoint-test-utils.js';
import { countTopics, createTopic, pairs, produceAbortedTransactions, produceNumbers, produceTimestampedRecords, produceValues, readTopic, useKafkaBroker, waitForCounts } from './kafka-test-clients.js';
import { fileURLToPath } from 'node:url';
import type { FunctionInitializationContext, ListState, RuntimeContext } from '@eddy/api';
import { DeliveryGuarantee, KafkaRecordSerializationSchema, KafkaSink, SimpleStringSchema } from '@eddy/connector-kafka';

const JOB = fileURLToPath(new URL('../../../test/kafka/jobs/kafka-count.ts', import.meta.url));
const EVENT_TIME_JOB = fileURLToPath(new URL('../../../test/kafka/jobs/kafka-event-time.ts', import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../../examples/kafka-word-count.ts', import.meta.url));
const scratch = scratchDirectory('eddy-kafka-');
const KEYS = 10;

/**
 * An exactly-once KafkaSink run by hand (subtask 0 of 1), as the runtime runs it, with its
 * operator state in memory, in a job that takes checkpoints.
 */
async function openSink(bootstrap: string, topic: string, prefix: string): Promise<KafkaSink<string>> {
  const sink = KafkaSink.builder<string>()
    .setBootstrapServers(bootstrap)
    .setDeliveryGuarantee(DeliveryGuarantee.EXACTLY_ONCE)
    .setTransactionalIdPrefix(prefix)
    .setProperty('transaction.timeout.ms', '60000')
    .setRecordSerializer(KafkaRecordSerializationSchema.builder<string>().setTopic(topic).setValueSerializationSchema(new SimpleStringSchema()).build())
    .build();
  let list: unknown[] = [];
  const state: ListState<unknown> = { get: () => list, add: (value) => void list.push(value), addAll: (values) => void list.push(...values), update: (values) => void (list = [...values]), clear: () => void (list = []) };
  const store = { getListState: () => state, getUnionListState: () => state, getRegisteredStateNames: () => [] };
  sink.initializeState({ isRestored: () => false, getRestoredCheckpointId: () => undefined, getOperatorStateStore: () => store, getKeyedStateStore: () => undefined } as unknown as FunctionInitializationContext);
  await sink.open({ indexOfThisSubtask: 0, numberOfParallelSubtasks: 1, configuration: { 'execution.checkpointing.interval': '1000 ms' } } as unknown as RuntimeContext);
  return sink;
}

/** The values of `topic` once `count` are committed (the coordinator writes commit markers after EndTxn answers). */
async function committedValues(bootstrap: string, topic: string, count: number): Promise<string[]> {
  let read: string[] = [];
  await waitFor(async () => (read = await readTopic(bootstrap, topic)).length >= count, () => `${count} committed records in ${topic} (has ${read.join()})`, 10_000, 100);
  return read;
}

/** Writes `values` into the sink's open transaction once it has begun, and takes checkpoint `id` (its records flushed). */
async function checkpointSink(sink: KafkaSink<string>, id: number, values: string[]): Promise<void> {
  const open = sink as unknown as { current?: { transaction?: unknown } };
  await waitFor(() => open.current?.transaction !== undefined, `the sink's transaction before checkpoint ${id} to begin`, 10_000);
  for (const value of values) sink.invoke(value);
  sink.snapshotState({ getCheckpointId: () => id, getCheckpointTimestamp: () => Date.now() });
  await sink.flushForCheckpoint(id);
}



describe('the Kafka connector', () => {
  const kafka = useKafkaBroker();
  const cluster = useCheckpointCluster({ taskManagers: 2, slots: 2, restartAttempts: 20 });

  it('reads a topic of four partitions to its end at parallelism 2 (bounded) and writes each running count once', async () => {
    const records = 2000;
    await countTopics(kafka.broker.bootstrapServers, 'bounded', records);
    const { jobId } = await cluster.client.submitJobFile(JOB, { args: [kafka.broker.bootstrapServers, 'bounded-in', 'bounded-out', String(KEYS), 'AT_LEAST_ONCE', 'true'] });
    const terminal = await followToEnd(cluster.client, jobId);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    const failures = cluster.jobManager.linesWith(/failed|FAILED/).map((line) => JSON.stringify(line).slice(0, 1500));
    assert.equal((await cluster.client.requestJob(jobId)).restarts, 0, `no restart: ${failures.join('\n')}`);
    assertExactCounts(pairs(await readTopic(kafka.broker.bootstrapServers, 'bounded-out', false)), records, KEYS);
  });

  it('reads read_committed past an abort marker the broker does not list and from inside an aborted transaction, in the source and the test reader', async () => {
    // Partition 0 of rc-in: aborted 0..99 (listed), an empty aborted transaction (marker not listed), committed 100..299.
    const committed = Array.from({ length: 200 }, (_, i) => String(100 + i));
    await countTopics(kafka.broker.bootstrapServers, 'rc', 0);
    const marker = await produceAbortedTransactions(kafka.broker.bootstrapServers, 'rc-in', Array.from({ length: 100 }, (_, i) => String(i)), committed);
    assert.deepEqual(await readTopic(kafka.broker.bootstrapServers, 'rc-in'), committed);
    // From the first transaction's marker: the broker lists that transaction, the fetch holds only its marker.
    assert.deepEqual(await readTopic(kafka.broker.bootstrapServers, 'rc-in', true, marker), committed);
    const { jobId } = await cluster.client.submitJobFile(JOB, {
      args: [kafka.broker.bootstrapServers, 'rc-in', 'rc-out', String(KEYS), 'AT_LEAST_ONCE', 'true', '', '200', 'rc-test', '2', 'false', 'read_committed'],
    });
    const terminal = await followToEnd(cluster.client, jobId);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    const highest = new Map<string, number>();
    for (const [key, count] of pairs(await readTopic(kafka.broker.bootstrapServers, 'rc-out', false))) highest.set(key, Math.max(highest.get(key) ?? 0, count));
    assert.deepEqual([...highest.values()].reduce((a, b) => a + b, 0), committed.length, 'counted the committed records only');
  });

  it('commits each prepared transaction once when checkpoint notifications overlap (the runtime does not wait for one before the next)', async () => {
    await createTopic(kafka.broker.bootstrapServers, 'overlap-out', 1);
    const sink = await openSink(kafka.broker.bootstrapServers, 'overlap-out', 'overlap-test');
    try {
      await checkpointSink(sink, 1, ['a', 'b']);
      await checkpointSink(sink, 2, ['c']);
      // Checkpoint 2's notification comes while checkpoint 1's is still busy: it has committed
      // checkpoint 1's transaction and closes its producer.
      const prepared = (sink as unknown as { prepared: { open?: { producer: { close(...args: unknown[]): Promise<void> } } }[] }).prepared;
      const producer = prepared[0]?.open?.producer as { close(...args: unknown[]): Promise<void> };
      const close = producer.close.bind(producer);
      let second: Promise<void> | undefined;
      producer.close = (...args: unknown[]) => {
        second ??= sink.notifyCheckpointComplete(2) as Promise<void>;
        return close(...args);
      };
      await sink.notifyCheckpointComplete(1);
      await second;
      assert.deepEqual(await committedValues(kafka.broker.bootstrapServers, 'overlap-out', 3), ['a', 'b', 'c']);
      await sink.close();
    } finally {
      await sink.dispose();
    }
  });

  it('commits the records after the last checkpoint with the final checkpoint taken after the end of input, once', async () => {
    await createTopic(kafka.broker.bootstrapServers, 'final-out', 1);
    const sink = await openSink(kafka.broker.bootstrapServers, 'final-out', 'final-test');
    try {
      await checkpointSink(sink, 1, ['a']);
      await sink.notifyCheckpointComplete(1);
      await checkpointSink(sink, 2, ['b']);
      sink.invoke('c');
      // End of input (the runtime's finish), then the final checkpoint, as a bounded job with checkpoints ends.
      await sink.close();
      await checkpointSink(sink, 3, []);
      await sink.notifyCheckpointComplete(3);
      assert.deepEqual(await committedValues(kafka.broker.bootstrapServers, 'final-out', 3), ['a', 'b', 'c']);
    } finally {
      await sink.dispose();
    }
  });

  it('writes what waited while its transaction began (more than a broker takes in one record batch) in several sends', async () => {
    await createTopic(kafka.broker.bootstrapServers, 'backlog-out', 1);
    const sink = await openSink(kafka.broker.bootstrapServers, 'backlog-out', 'backlog-test');
    try {
      // Right after open() the transaction has not begun (InitProducerId is on its way): 3 MB wait in the buffer.
      const values = Array.from({ length: 3000 }, (_, i) => `${i} ${'x'.repeat(1000)}`);
      for (const value of values) sink.invoke(value);
      await checkpointSink(sink, 1, []);
      await sink.notifyCheckpointComplete(1);
      assert.deepEqual(await committedValues(kafka.broker.bootstrapServers, 'backlog-out', values.length), values);
    } finally {
      await sink.dispose();
    }
  });

  it('writes every running count exactly once (read_committed) while records keep coming and TaskManagers are killed twice', async () => {
    const before = 3000;
    const during = 3000;
    await countTopics(kafka.broker.bootstrapServers, 'eo', before);
    const checkpoints = join(scratch, 'eo-chk');
    const { jobId } = await cluster.client.submitJobFile(JOB, {
      args: [kafka.broker.bootstrapServers, 'eo-in', 'eo-out', String(KEYS), 'EXACTLY_ONCE', 'false', checkpoints, '300', 'eo-test'],
    });
    const completed = (): number => cluster.jobManager.linesWith(/^Completed checkpoint \d+ for job/).filter((line) => line['jobId'] === jobId).length;
    for (let kill = 0; kill < 2; kill++) {
      const seen = completed();
      await waitFor(() => completed() >= seen + 1, `a completed checkpoint before kill ${kill + 1}`, 30_000);
      // Records produced while the job runs (an unbounded read), half before each kill.
      await produceNumbers(kafka.broker.bootstrapServers, 'eo-in', before + (kill * during) / 2, before + ((kill + 1) * during) / 2);
      await killBusyTaskManager(cluster, jobId, kill);
    }
    const records = before + during;
    await waitForCounts(kafka.broker.bootstrapServers, 'eo-out', records, 60_000);
    await cluster.client.cancelJob(jobId);
    assertExactCounts(pairs(await readTopic(kafka.broker.bootstrapServers, 'eo-out')), records, KEYS);
  });

  it('stops with a savepoint at parallelism 2 and resumes from it at parallelism 3 with offsets and counts intact', async () => {
    const first = 2000;
    const second = 2000;
    await countTopics(kafka.broker.bootstrapServers, 'sp', first);
    const args = (parallelism: number, checkpoints: string): string[] => [kafka.broker.bootstrapServers, 'sp-in', 'sp-out', String(KEYS), 'EXACTLY_ONCE', 'false', checkpoints, '300', 'sp-test', String(parallelism)];
    const { jobId } = await cluster.client.submitJobFile(JOB, { args: args(2, join(scratch, 'sp-chk-1')) });
    await waitForCounts(kafka.broker.bootstrapServers, 'sp-out', first, 60_000);
    const savepoint = await cluster.client.stopWithSavepoint(jobId, { targetDirectory: join(scratch, 'savepoints') });
    await produceNumbers(kafka.broker.bootstrapServers, 'sp-in', first, first + second);
    const resumed = await cluster.client.submitJobFile(JOB, { args: args(3, join(scratch, 'sp-chk-2')), savepointPath: savepoint });
    await waitForCounts(kafka.broker.bootstrapServers, 'sp-out', first + second, 60_000);
    await cluster.client.cancelJob(resumed.jobId);
    // Read again from the savepoint's offsets: no record twice, none left out, counts going on from the savepoint's.
    assertExactCounts(pairs(await readTopic(kafka.broker.bootstrapServers, 'sp-out')), first + second, KEYS);
  });

  it('runs examples/kafka-word-count.ts: the word counts of a topic of lines, committed exactly once', async () => {
    await createTopic(kafka.broker.bootstrapServers, 'lines', 2);
    await createTopic(kafka.broker.bootstrapServers, 'word-counts', 2);
    await produceValues(kafka.broker.bootstrapServers, 'lines', ['to be or not to be', 'that is the question']);
    const { jobId } = await cluster.client.submitJobFile(EXAMPLE, { args: [kafka.broker.bootstrapServers, 'lines', 'word-counts', 'true'] });
    const terminal = await followToEnd(cluster.client, jobId);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    // The last counts are committed by the final checkpoint; the coordinator writes the commit markers after EndTxn answers.
    const highest = new Map<string, number>();
    await waitFor(
      async () => {
        for (const [word, count] of pairs(await readTopic(kafka.broker.bootstrapServers, 'word-counts'))) highest.set(word, Math.max(highest.get(word) ?? 0, count));
        return highest.size >= 8;
      },
      () => `the committed counts of the 8 words (has ${[...highest.keys()].join(', ')})`,
      10_000,
      100,
    );
    assert.deepEqual(Object.fromEntries([...highest].sort()), { be: 2, is: 1, not: 1, or: 1, question: 1, that: 1, the: 1, to: 2 });
  });

  it('takes the records\' Kafka timestamps as event time, with a watermark per partition: a partition that stopped is idle after withIdleness and holds no window back, and no record is late', async () => {
    const bootstrap = kafka.broker.bootstrapServers;
    await createTopic(bootstrap, 'et-in', 2);
    await createTopic(bootstrap, 'et-out', 1);
    const start = 1_700_000_000_000;
    // Partition 0 runs 10 s of event time ahead of partition 1, which stops at 3 s: with one
    // watermark for the source (the largest timestamp seen), partition 1's records would be late.
    await produceTimestampedRecords(bootstrap, 'et-in', Array.from({ length: 100 }, (_, i) => ({ partition: 0, value: `a${i}`, timestamp: start + i * 100 })));
    await produceTimestampedRecords(bootstrap, 'et-in', Array.from({ length: 30 }, (_, i) => ({ partition: 1, value: `b${i}`, timestamp: start + i * 100 })));
    const { jobId } = await cluster.client.submitJobFile(EVENT_TIME_JOB, { args: [bootstrap, 'et-in', 'et-out', join(scratch, 'et-chk'), '500'] });
    // Partition 0 keeps going (a record at 20 s, 21 s, ...): partition 1, idle, must not hold the watermark at 2.9 s.
    let beat = 0;
    const windows = new Map<number, number>();
    await waitFor(
      async () => {
        await produceTimestampedRecords(bootstrap, 'et-in', [{ partition: 0, value: `beat${beat}`, timestamp: start + 20_000 + 1000 * beat++ }]);
        windows.clear();
        for (const value of await readTopic(bootstrap, 'et-out', false)) {
          const [windowStart, count] = value.split(':').map(Number) as [number, number];
          assert.ok(!windows.has(windowStart), `window ${windowStart - start} fired once`);
          windows.set(windowStart, count);
        }
        return windows.has(start + 9000);
      },
      () => `the window at 9 s to fire (fired: ${[...windows.keys()].map((w) => w - start).join(', ')})`,
      60_000,
      200,
    );
    await cluster.client.cancelJob(jobId);
    const expected = [20, 20, 20, 10, 10, 10, 10, 10, 10, 10];
    assert.deepEqual(expected.map((_, second) => windows.get(start + second * 1000)), expected, 'each 1 s window of the first 10 s counts its records of both partitions');
  });

  it("checks the exactly-once sink's transaction.timeout.ms against the broker's transaction.max.timeout.ms at start, and fails saying what to change", async () => {
    const bootstrap = kafka.broker.bootstrapServers;
    await createTopic(bootstrap, 'txmax-in', 1);
    const { jobId } = await cluster.client.submitJobFile(JOB, {
      args: [bootstrap, 'txmax-in', 'txmax-out', String(KEYS), 'EXACTLY_ONCE', 'false', join(scratch, 'txmax-chk'), '200', 'txmax', '1', 'false', 'read_uncommitted', '3600000'],
    });
    const failed = (): string[] =>
      cluster.jobManager
        .linesWith(/switched from \w+ to FAILED/)
        .filter((line) => line['jobId'] === jobId)
        .map((line) => String(line['cause']));
    await waitFor(() => failed().length > 0, 'the sink to fail at start', 30_000);
    await cluster.client.cancelJob(jobId);
    assert.match(failed()[0] ?? '', /transaction\.timeout\.ms \(3600000\) is above the broker's transaction\.max\.timeout\.ms \(900000\); lower it with setProperty\('transaction\.timeout\.ms', \.\.\.\)/);
  });
});
