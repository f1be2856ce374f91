/**
 * The Kafka connector when things go wrong, against a real broker (one KRaft node, shared by the
 * tests of this file, stopped and restarted by the last one) and a real cluster: brokers that
 * cannot be reached, a topic that does not exist, a record the deserializer rejects, partitions
 * added while a job runs, and the broker restarted mid-job.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { freePort } from '../cluster/cluster-harness.js';
import { assertExactCounts, followToEnd, scratchDirectory, useCheckpointCluster } from '../checkpoint/checkpoint-test-utils.js';
import { addPartitions, countTopics, createTopic, pairs, produceNumbers, produceValues, readTopic, useKafkaBroker, waitForCounts } from './kafka-test-clients.js';

const COUNT_JOB = fileURLToPath(new URL('../../../test/kafka/jobs/kafka-count.ts', import.meta.url));
const READ_JOB = fileURLToPath(new URL('../../../test/kafka/jobs/kafka-read.ts', import.meta.url));
const scratch = scratchDirectory('eddy-kafka-faults-');
const KEYS = 10;



describe('the Kafka connector under faults', () => {
  const kafka = useKafkaBroker();
  const cluster = useCheckpointCluster({ taskManagers: 2, slots: 2, restartAttempts: 20 });

  /** Runs the read job to its end; the failure message. */
  async function readJobFailure(args: string[]): Promise<string> {
    const { jobId } = await cluster.client.submitJobFile(READ_JOB, { args });
    const terminal = await followToEnd(cluster.client, jobId);
    assert.equal(terminal.to, 'FAILED');
    return terminal.cause?.message ?? '';
  }

  it('fails the source task naming the bootstrap servers and the cause when no broker answers', async () => {
    const nobody = `127.0.0.1:${await freePort()}`;
    const message = await readJobFailure([nobody, 'in']);
    assert.match(message, new RegExp(`Kafka brokers at ${nobody}`));
    assert.match(message, /ECONNREFUSED|connect/i);
  });

  it('fails with a clear error for a topic that does not exist', async () => {
    const message = await readJobFailure([kafka.broker.bootstrapServers, 'no-such-topic']);
    assert.match(message, /no-such-topic/);
    assert.match(message, /does not exist|UNKNOWN_TOPIC/i);
  });

  it('fails naming topic, partition and offset for a record the deserializer rejects, and says how to skip such records', async () => {
    await createTopic(kafka.broker.bootstrapServers, 'bad-json', 1);
    await produceValues(kafka.broker.bootstrapServers, 'bad-json', ['{"ok":1}', '{"ok":2}', 'not json', '{"ok":3}']);
    const message = await readJobFailure([kafka.broker.bootstrapServers, 'bad-json']);
    assert.match(message, /offset 2 of topic bad-json partition 0/);
    assert.match(message, /deserialization\.skip-errors/);
  });

  it('reads partitions added while the job runs (partition discovery)', async () => {
    await createTopic(kafka.broker.bootstrapServers, 'grow-in', 2);
    await createTopic(kafka.broker.bootstrapServers, 'grow-out', 2);
    await produceNumbers(kafka.broker.bootstrapServers, 'grow-in', 0, 1000, 2);
    const { jobId } = await cluster.client.submitJobFile(COUNT_JOB, {
      args: [kafka.broker.bootstrapServers, 'grow-in', 'grow-out', String(KEYS), 'EXACTLY_ONCE', 'false', join(scratch, 'grow-chk'), '300', 'grow-test'],
    });
    await waitForCounts(kafka.broker.bootstrapServers, 'grow-out', 1000, 60_000);
    await addPartitions(kafka.broker.bootstrapServers, 'grow-in', 4);
    // Only to the new partitions 2 and 3: counted only if they were discovered.
    await produceNumbers(kafka.broker.bootstrapServers, 'grow-in', 1000, 2000, 4);
    await waitForCounts(kafka.broker.bootstrapServers, 'grow-out', 2000, 60_000);
    await cluster.client.cancelJob(jobId);
    assertExactCounts(pairs(await readTopic(kafka.broker.bootstrapServers, 'grow-out')), 2000, KEYS);
  });

  it('keeps every count exactly once when the broker is stopped and restarted mid-job', async () => {
    await countTopics(kafka.broker.bootstrapServers, 'restart', 1000);
    const { jobId } = await cluster.client.submitJobFile(COUNT_JOB, {
      args: [kafka.broker.bootstrapServers, 'restart-in', 'restart-out', String(KEYS), 'EXACTLY_ONCE', 'false', join(scratch, 'restart-chk'), '300', 'restart-test'],
    });
    await waitForCounts(kafka.broker.bootstrapServers, 'restart-out', 1000, 60_000);
    await kafka.broker.stop();
    await kafka.broker.restart();
    await produceNumbers(kafka.broker.bootstrapServers, 'restart-in', 1000, 2000);
    await waitForCounts(kafka.broker.bootstrapServers, 'restart-out', 2000, 90_000);
    await cluster.client.cancelJob(jobId);
    assertExactCounts(pairs(await readTopic(kafka.broker.bootstrapServers, 'restart-out')), 2000, KEYS);
  });
});
