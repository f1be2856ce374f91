/**
 * The Kafka connector when things go wrong, against a real broker (one KRaft node, shared by the
 * tests of this file, stopped and restarted by the last one) and a real cluster: brokers that
 * the JobMaster's KafkaSourceEnumerator cannot reach, a topic that does not exist, a record the deserializer rejects, partitions
 * added while a job runs, the broker restarted mid-job, a TaskManager killed under an
 * AT_LEAST_ONCE sink, and two jobs with one transactional id prefix.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { refusedPort, waitFor } from '../cluster/cluster-harness.js';
import { assertExactCounts, countsPerKey, followToEnd, killBusyTaskManager, scratchDirectory, useCheckpointCluster } from '../checkpoint/checkpoint-test-utils.js';
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

  it("fails the job from the JobMaster's KafkaSourceEnumerator naming the bootstrap servers and the cause when no broker answers, each retry logged with its wait, the JobManager still serving", async () => {
    const nobody = `127.0.0.1:${await refusedPort()}`;
    const { jobId } = await cluster.client.submitJobFile(READ_JOB, { args: [nobody, 'in'] });
    const terminal = await followToEnd(cluster.client, jobId);
    assert.equal(terminal.to, 'FAILED');
    const message = terminal.cause?.message ?? '';
    assert.match(message, new RegExp(`KafkaSourceEnumerator could not read the partitions of topic\\(s\\) in from the Kafka brokers at ${nobody}: `));
    assert.match(message, /ECONNREFUSED|connect/i);
    const retries = cluster.jobManager.linesWith(/^Kafka partition discovery failed; waiting for the Kafka brokers/).filter((line) => line['jobId'] === jobId);
    assert.deepEqual(retries.map((line) => [line['attempt'], line['bootstrapServers']]), [[1, nobody], [2, nobody]]);
    for (const line of retries) assert.ok((line['delayMs'] as number) > 0, 'a jittered wait before each retry');
    assert.equal(cluster.jobManager.hasExited, false);
    assert.equal((await cluster.client.requestJob(jobId)).status, 'FAILED');
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

  it('loses nothing with AT_LEAST_ONCE when a TaskManager is killed mid-job (every running count is written, some maybe twice)', async () => {
    const before = 2000;
    const during = 2000;
    await countTopics(kafka.broker.bootstrapServers, 'alo', before);
    const { jobId } = await cluster.client.submitJobFile(COUNT_JOB, {
      args: [kafka.broker.bootstrapServers, 'alo-in', 'alo-out', String(KEYS), 'AT_LEAST_ONCE', 'false', join(scratch, 'alo-chk'), '300', 'alo-test'],
    });
    const completed = (): number => cluster.jobManager.linesWith(/^Completed checkpoint \d+ for job/).filter((line) => line['jobId'] === jobId).length;
    await waitFor(() => completed() >= 1, 'a completed checkpoint before the kill', 30_000);
    await produceNumbers(kafka.broker.bootstrapServers, 'alo-in', before, before + during);
    await killBusyTaskManager(cluster, jobId, 0);
    await waitForCounts(kafka.broker.bootstrapServers, 'alo-out', before + during, 60_000);
    await cluster.client.cancelJob(jobId);
    // Each key's running counts: every one of 1..n at least once (a restore may write some again), none past n.
    const seen = countsPerKey(pairs(await readTopic(kafka.broker.bootstrapServers, 'alo-out', false)));
    for (let key = 0; key < KEYS; key++) {
      const n = (before + during) / KEYS;
      assert.deepEqual([...new Set(seen.get(`k${key}`))], Array.from({ length: n }, (_, i) => i + 1), `the running counts of k${key}`);
    }
  });

  it('fences a job when a second job uses its transactional id prefix, and the fenced one says to give each job its own prefix', async () => {
    await countTopics(kafka.broker.bootstrapServers, 'fence', 1000);
    await createTopic(kafka.broker.bootstrapServers, 'fence-out-2', 2);
    const args = (output: string): string[] => [kafka.broker.bootstrapServers, 'fence-in', output, String(KEYS), 'EXACTLY_ONCE', 'false', join(scratch, `${output}-chk`), '300', 'fence-test'];
    const first = await cluster.client.submitJobFile(COUNT_JOB, { args: args('fence-out') });
    await waitForCounts(kafka.broker.bootstrapServers, 'fence-out', 1000, 60_000);
    // The second job's sink takes over the ids fence-test-<subtask>-<n> (a fresh start fences them
    // from 0 on, the first job's open transactions too) before it runs; then the first job writes.
    const second = await cluster.client.submitJobFile(COUNT_JOB, { args: args('fence-out-2') });
    try {
      await waitFor(
        async () => (await cluster.client.requestJob(second.jobId)).vertices.every((vertex) => vertex.subtasks.every((subtask) => subtask.attempts.at(-1)?.state === 'RUNNING')),
        'the second job running',
        60_000,
        100,
      );
      await produceNumbers(kafka.broker.bootstrapServers, 'fence-in', 1000, 2000);
      // Usually the first job fails; the two may also take the ids from each other back and forth.
      const jobs = new Set([first.jobId, second.jobId]);
      const fenced = (): boolean =>
        cluster.jobManager.lines.some((line) => jobs.has(line['jobId'] as string) && /KafkaSink was fenced: another producer uses its transactional ids \(prefix fence-test\); give each job its own setTransactionalIdPrefix/.test(JSON.stringify(line)));
      const failures = (): string =>
        cluster.jobManager.lines
          .filter((line) => jobs.has(line['jobId'] as string) && line.level >= 40)
          .slice(-3)
          .map((line) => JSON.stringify(line).slice(0, 600))
          .join('\n');
      await waitFor(fenced, () => `a job to fail with the fencing message; their last warnings:\n${failures()}`, 60_000, 100);
    } finally {
      await cluster.client.cancelJob(second.jobId).catch(() => undefined);
      await cluster.client.cancelJob(first.jobId).catch(() => undefined);
    }
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
