/**
 * Checkpoints when their storage is wrong: a directory that cannot be written, a `_metadata` file
 * that is corrupt or belongs to another job.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { waitFor } from '../cluster/cluster-harness.js';
import { useCheckpointCluster, checkpointJob, scratchDirectory, followToEnd } from './checkpoint-test-utils.js';

const scratch = scratchDirectory('eddy-checkpoint-faults-');

describe('checkpoint storage faults', () => {
  const cluster = useCheckpointCluster({ taskManagers: 2, slots: 3, restartAttempts: 10 });

  it('fails the job with the path and the OS error once more checkpoints than tolerated could not be written', async () => {
    const notADirectory = join(scratch, 'a-file');
    writeFileSync(notADirectory, 'not a directory');
    const { jobId } = await cluster.client.submitJobFile(checkpointJob('keyed-count'), {
      args: ['100000', '5', join(scratch, 'unwritable-out'), notADirectory, '100', '2000'],
      configuration: { 'restart-strategy.type': 'none', 'execution.checkpointing.tolerable-failed-checkpoints': '2' },
    });
    const terminal = await followToEnd(cluster.client, jobId);
    assert.equal(terminal.to, 'FAILED');
    const message = terminal.cause?.message ?? '';
    assert.match(message, /3 checkpoint\(s\) failed in a row, more than execution.checkpointing.tolerable-failed-checkpoints \(2\)/);
    assert.match(message, new RegExp(`Could not create the checkpoint directory ${notADirectory}/${jobId}/chk-3: (ENOTDIR|EEXIST)`));
    const failedLines = cluster.jobManager.linesWith(/^Checkpoint \d+ of job .* failed: Could not create/).filter((line) => line['jobId'] === jobId);
    assert.equal(failedLines.length, 3, 'one log line per failed checkpoint, with the reason');
  });

  it('refuses to start from a truncated _metadata file, and from a checkpoint of operators the job does not have, saying what is wrong and where', async () => {
    const checkpoints = join(scratch, 'retained');
    const { jobId } = await cluster.client.submitJobFile(checkpointJob('unbounded-counter'), {
      args: ['5', '300', join(scratch, 'retained-out'), checkpoints, '100'],
      configuration: { 'execution.checkpointing.externalized-checkpoint-retention': 'RETAIN_ON_CANCELLATION' },
    });
    await waitFor(async () => ((await cluster.client.requestJob(jobId)).checkpoints?.completed ?? 0) >= 2, 'two completed checkpoints', 30_000);
    await cluster.client.cancelJob(jobId);
    await followToEnd(cluster.client, jobId);
    const jobDirectory = join(checkpoints, jobId);
    // A checkpoint the latest subsumed is deleted in the background: it may still be going at the cancel.
    let retained: string[] = [];
    await waitFor(
      () => (retained = readdirSync(jobDirectory).filter((name) => name.startsWith('chk-'))).length === 1,
      () => `the latest checkpoint alone retained after the cancel: ${retained.join(', ')}`,
      10_000,
    );
    const retainedCheckpoint = join(jobDirectory, retained[0] as string);

    // Another job, with other operator ids, started from it.
    const { jobId: other } = await cluster.client.submitJobFile(checkpointJob('two-inputs'), {
      args: ['100', '5', join(scratch, 'other-out'), join(scratch, 'other-chk')],
      configuration: { 'execution.savepoint.path': retainedCheckpoint },
    });
    const mismatch = await followToEnd(cluster.client, other);
    assert.equal(mismatch.to, 'FAILED');
    assert.match(mismatch.cause?.message ?? '', new RegExp(`Cannot start from ${retainedCheckpoint}/_metadata: it has state for operator numbers \\(in 'Source: Generator'\\), which this job does not have`));

    // The same job, from a truncated copy of the metadata.
    const metadata = join(retainedCheckpoint, '_metadata');
    const bytes = readFileSync(metadata);
    writeFileSync(metadata, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const { jobId: truncated } = await cluster.client.submitJobFile(checkpointJob('unbounded-counter'), {
      args: ['5', '300', join(scratch, 'truncated-out'), join(scratch, 'truncated-chk'), '100'],
      configuration: { 'execution.savepoint.path': retainedCheckpoint },
    });
    const corrupt = await followToEnd(cluster.client, truncated);
    assert.equal(corrupt.to, 'FAILED');
    assert.match(corrupt.cause?.message ?? '', new RegExp(`The checkpoint metadata file ${metadata} is not a readable checkpoint metadata file \\(the file looks truncated\\)`));
    assert.doesNotMatch(corrupt.cause?.message ?? '', /at JSON\.parse|node:internal/, 'no decoder stack in the message');
  });

});
