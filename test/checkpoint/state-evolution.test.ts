/**
 * State schema evolution on a real cluster (a JobManager and TaskManagers as child processes): a
 * keyed job with a typed ValueState of an object, started again from its retained checkpoint with
 * code whose object gained an optional field (counts continue) and with code whose field changed
 * its type (the job fails at once, naming the state and the change, and commits nothing twice).
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { JobClient } from '@eddy/client';
import { waitFor } from '../cluster/cluster-harness.js';
import { checkpointJob, committedRecords, followToEnd, scratchDirectory, useCheckpointCluster } from './checkpoint-test-utils.js';

const scratch = scratchDirectory('eddy-state-evolution-');
const RETAIN = { 'execution.checkpointing.externalized-checkpoint-retention': 'RETAIN_ON_CANCELLATION' };

/** Every key's committed counts are 1..n, each once: restored state, nothing lost, nothing committed twice. */
function assertCountsExactlyOnce(output: [string, number, string][]): Map<string, [number, string][]> {
  const byKey = new Map<string, [number, string][]>();
  for (const [key, count, variant] of output) byKey.set(key, [...(byKey.get(key) ?? []), [count, variant]]);
  for (const [key, counts] of byKey) {
    counts.sort((a, b) => a[0] - b[0]);
    assert.deepEqual(
      counts.map(([count]) => count),
      Array.from({ length: counts.length }, (_, i) => i + 1),
      `the committed counts of ${key} run 1..n, each once`,
    );
  }
  return byKey;
}

/** Runs until `done`, cancels, and returns the checkpoint retained in `checkpoints`. */
async function runAndRetain(client: JobClient, jobId: string, checkpoints: string, done: () => boolean, what: string): Promise<string> {
  await waitFor(async () => ((await client.requestJob(jobId)).checkpoints?.completed ?? 0) >= 2 && done(), what, 30_000);
  await client.cancelJob(jobId);
  assert.equal((await followToEnd(client, jobId)).to, 'CANCELED');
  const retained = readdirSync(join(checkpoints, jobId)).filter((name) => name.startsWith('chk-'));
  assert.equal(retained.length, 1, `one checkpoint retained after the cancel: ${retained.join(', ')}`);
  return join(checkpoints, jobId, retained[0] as string);
}

describe('state schema evolution', () => {
  const cluster = useCheckpointCluster({ taskManagers: 2, slots: 2, restartAttempts: 5 });

  it('restores an object state that gained an optional field, and fails a changed field type at once with the state and the change', async () => {
    const output = join(scratch, 'out');
    const committed = (): [string, number, string][] => committedRecords(output) as [string, number, string][];
    const args = (variant: string, checkpoints: string): string[] => [variant, '4', '300', output, checkpoints, '150'];

    const v1Checkpoints = join(scratch, 'chk-v1');
    const { jobId: v1 } = await cluster.client.submitJobFile(checkpointJob('typed-counter'), { args: args('v1', v1Checkpoints), configuration: RETAIN });
    const fromV1 = await runAndRetain(cluster.client, v1, v1Checkpoints, () => committed().length >= 40, 'v1 to commit 40 counts in two checkpoints');
    const metadata = JSON.parse(readFileSync(join(fromV1, '_metadata'), 'utf8')) as { checkpoint: { vertices: { subtasks: { state: { operators: { operatorId: string; states: unknown[] }[] } }[] }[] } };
    const counterStates = metadata.checkpoint.vertices.flatMap((v) => v.subtasks.flatMap((s) => s.state.operators)).find((o) => o.operatorId === 'counter')?.states;
    assert.deepEqual(counterStates, [{ name: 'count', kind: 'value', type: '{"object":{"count":"NUMBER"}}' }], 'the checkpoint metadata lists the state with its type');
    const v1Committed = committed().length;

    // v2: the object gained an optional field. The state restores as it is and the counts go on.
    const v2Checkpoints = join(scratch, 'chk-v2');
    const { jobId: v2 } = await cluster.client.submitJobFile(checkpointJob('typed-counter'), {
      args: args('v2', v2Checkpoints),
      configuration: { ...RETAIN, 'execution.savepoint.path': fromV1 },
    });
    const fromV2 = await runAndRetain(cluster.client, v2, v2Checkpoints, () => committed().filter(([, , variant]) => variant === 'v2').length >= 40, 'v2 to commit 40 counts');
    assert.equal((await cluster.client.requestJob(v2)).restarts, 0);
    const byKey = assertCountsExactlyOnce(committed());
    for (const [key, counts] of byKey) {
      const firstV2 = counts.find(([, variant]) => variant === 'v2');
      assert.ok(firstV2 !== undefined && firstV2[0] > 1, `${key}: v2 went on from v1's count (its first count is ${firstV2?.[0]}), not from 1`);
    }
    assert.ok(committed().length > v1Committed);

    // v3: a field changed its type. The job fails without a restart, naming the state, the operator and the change.
    const { jobId: v3 } = await cluster.client.submitJobFile(checkpointJob('typed-counter'), {
      args: args('v3', join(scratch, 'chk-v3')),
      configuration: { 'execution.savepoint.path': fromV2 },
    });
    const failed = await followToEnd(cluster.client, v3);
    assert.equal(failed.to, 'FAILED');
    assert.equal(failed.cause?.name, 'StateMigrationError');
    assert.match(failed.cause?.message ?? '', /The restored state 'count' of operator 'counter': field 'count' was NUMBER, is STRING\./);
    assert.equal((await cluster.client.requestJob(v3)).restarts, 0, 'no restart: every attempt would fail the same way');
    const after = assertCountsExactlyOnce(committed());
    assert.ok(![...after.values()].flat().some(([, variant]) => variant === 'v3'), 'v3 committed nothing');
  });
});
