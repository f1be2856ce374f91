/**
 * Kafka partitions as splits assigned by the JobMaster's KafkaSourceEnumerator, against a real
 * broker (one KRaft node shared by the tests of this file) and a real cluster: a job that copies
 * every record of the topics matching a pattern to an output topic, exactly once, so its output
 * is compared with its input record by record. Partitions and topics added mid-job, a TaskManager
 * killed, and a savepoint resumed at another parallelism must each leave every record in the
 * output exactly once (a partition read by two subtasks, or started over, writes some twice).
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { waitFor } from '../cluster/cluster-harness.js';
import { followToEnd, killBusyTaskManager, scratchDirectory, useCheckpointCluster } from '../checkpoint/checkpoint-test-utils.js';
import { addPartitions, assertEachNumberOnce, createTopic, produceNumbers, produceTimestampedRecords, readTopic, useKafkaBroker, waitForValues } from './kafka-test-clients.js';

const COPY_JOB = fileURLToPath(new URL('../../../test/kafka/jobs/kafka-copy.ts', import.meta.url));
const scratch = scratchDirectory('eddy-kafka-enumerator-');

describe("Kafka partitions assigned by the JobMaster's KafkaSourceEnumerator", () => {
  const kafka = useKafkaBroker();
  const cluster = useCheckpointCluster({ taskManagers: 2, slots: 2, restartAttempts: 20 });

  /** The partitions the job's enumerator logged as discovered. */
  const discovered = (jobId: string): string[] =>
    cluster.jobManager
      .linesWith(/^Discovered new Kafka partitions/)
      .filter((line) => line['jobId'] === jobId)
      .flatMap((line) => line['partitions'] as string[]);

  it('at parallelism 2, reads a partition and a topic matching the pattern that were added mid-job, every record exactly once', async () => {
    const bootstrap = kafka.broker.bootstrapServers;
    await createTopic(bootstrap, 'disc-a', 2);
    await createTopic(bootstrap, 'disc-out', 2);
    await produceNumbers(bootstrap, 'disc-a', 0, 1000, 2);
    const { jobId } = await cluster.client.submitJobFile(COPY_JOB, { args: [bootstrap, 'disc-[a-z]', 'disc-out', join(scratch, 'disc-chk'), 'disc-test'] });
    await waitForValues(bootstrap, 'disc-out', 1000);
    await addPartitions(bootstrap, 'disc-a', 3);
    await createTopic(bootstrap, 'disc-b', 2);
    // A third of these go to the new partition disc-a-2; all of disc-b's are on a new topic.
    await produceNumbers(bootstrap, 'disc-a', 1000, 1600, 3);
    await produceNumbers(bootstrap, 'disc-b', 1600, 2000, 2);
    await waitFor(() => ['disc-a-2', 'disc-b-0', 'disc-b-1'].every((id) => discovered(jobId).includes(id)), () => `the new partitions discovered (has ${discovered(jobId).join(', ')})`, 30_000);
    await waitForValues(bootstrap, 'disc-out', 2000);
    await cluster.client.cancelJob(jobId);
    assertEachNumberOnce(await readTopic(bootstrap, 'disc-out'), 0, 2000);
    assert.deepEqual(discovered(jobId).sort(), ['disc-a-0', 'disc-a-1', 'disc-a-2', 'disc-b-0', 'disc-b-1'], 'each partition discovered once');
  });

  it('resumes every partition at its checkpointed offset after a TaskManager is killed, every record exactly once', async () => {
    const bootstrap = kafka.broker.bootstrapServers;
    await createTopic(bootstrap, 'kill-a', 4);
    await createTopic(bootstrap, 'kill-out', 2);
    await produceNumbers(bootstrap, 'kill-a', 0, 2000);
    const { jobId } = await cluster.client.submitJobFile(COPY_JOB, { args: [bootstrap, 'kill-a', 'kill-out', join(scratch, 'kill-chk'), 'kill-test'] });
    const completed = (): number => cluster.jobManager.linesWith(/^Completed checkpoint \d+ for job/).filter((line) => line['jobId'] === jobId).length;
    await waitFor(() => completed() >= 1, 'a completed checkpoint before the kill', 30_000);
    await produceNumbers(bootstrap, 'kill-a', 2000, 3000);
    await killBusyTaskManager(cluster, jobId, 0);
    await produceNumbers(bootstrap, 'kill-a', 3000, 4000);
    await waitForValues(bootstrap, 'kill-out', 4000, 90_000);
    await cluster.client.cancelJob(jobId);
    assertEachNumberOnce(await readTopic(bootstrap, 'kill-out'), 0, 4000);
  });

  it('resumes a savepoint of parallelism 2 at parallelism 3: the savepoint holds the enumerator\'s partitions, and every record is copied exactly once, a partition added meanwhile too', async () => {
    const bootstrap = kafka.broker.bootstrapServers;
    await createTopic(bootstrap, 'rescale-a', 4);
    await createTopic(bootstrap, 'rescale-out', 2);
    await produceNumbers(bootstrap, 'rescale-a', 0, 2000);
    const args = (parallelism: number, checkpoints: string): string[] => [bootstrap, 'rescale-a', 'rescale-out', join(scratch, checkpoints), 'rescale-test', String(parallelism)];
    const first = await cluster.client.submitJobFile(COPY_JOB, { args: args(2, 'rescale-chk-1') });
    await waitForValues(bootstrap, 'rescale-out', 2000);
    const savepoint = await cluster.client.stopWithSavepoint(first.jobId, { targetDirectory: join(scratch, 'savepoints') });
    const metadata = JSON.parse(await readFile(join(savepoint, '_metadata'), 'utf8')) as { checkpoint: { vertices: { enumerator?: { kind?: string; splits: string[]; initialDiscoveryFinished?: boolean } }[] } };
    const enumerator = metadata.checkpoint.vertices.map((vertex) => vertex.enumerator).find((state) => state?.kind === 'kafka');
    assert.ok(enumerator !== undefined, 'the source vertex has a kafka enumerator state');
    assert.equal(enumerator.initialDiscoveryFinished, true);
    assert.deepEqual(enumerator.splits.map((split) => (JSON.parse(split) as { partition: number }).partition).sort(), [0, 1, 2, 3]);
    // After the savepoint: more records, and a partition the resumed job finds as new.
    await addPartitions(bootstrap, 'rescale-a', 5);
    await produceNumbers(bootstrap, 'rescale-a', 2000, 3000, 5);
    const resumed = await cluster.client.submitJobFile(COPY_JOB, { args: args(3, 'rescale-chk-2'), savepointPath: savepoint });
    await waitForValues(bootstrap, 'rescale-out', 3000);
    await cluster.client.cancelJob(resumed.jobId);
    assertEachNumberOnce(await readTopic(bootstrap, 'rescale-out'), 0, 3000);
    assert.deepEqual(discovered(resumed.jobId), ['rescale-a-4'], 'only the new partition is new to the resumed job');
  });

  it('reads to a point in time with setBounded(OffsetsInitializer.timestamp(ms)) and finishes: every record before it from every partition, once, none after it', async () => {
    const bootstrap = kafka.broker.bootstrapServers;
    await createTopic(bootstrap, 'until-a', 3);
    await createTopic(bootstrap, 'until-out', 2);
    // Record n has the time start + n s; the read stops at 600 s: records 0 to 599.
    const start = Date.now() - 3_600_000;
    await produceTimestampedRecords(bootstrap, 'until-a', Array.from({ length: 1000 }, (_, n) => ({ partition: n % 3, value: String(n), timestamp: start + n * 1000 })));
    const { jobId } = await cluster.client.submitJobFile(COPY_JOB, { args: [bootstrap, 'until-a', 'until-out', join(scratch, 'until-chk'), 'until-test', '2', '300', String(start + 600_000)] });
    const terminal = await followToEnd(cluster.client, jobId);
    assert.equal(terminal.to, 'FINISHED', terminal.cause?.message);
    assertEachNumberOnce(await readTopic(bootstrap, 'until-out'), 0, 600);
  });
});
