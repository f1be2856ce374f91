/** eddy cancel's waiting, against a JobClient stand-in whose answers the test decides. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { eddy_dispatcher_v1 as dispatcher } from '@eddy/proto';
import { CliError } from '../../src/cli-error.js';
import { cancelAndWait, type CancelingClient } from '../../src/commands/cancel-command.js';

const JOB_ID = '0123456789abcdef0123456789abcdef';

function jobEvent(to: string): dispatcher.JobEvent {
  return { jobId: JOB_ID, timestamp: 0, kind: 'job', from: '', to, vertexId: '', vertexName: '', subtask: 0, parallelism: 0, attempt: 0, taskManagerId: '', message: '', cause: null };
}

/** A client whose job has the statuses `statuses` on successive requestJob calls (the last repeats). */
function testingClient(options: { statuses: string[]; cancel?: () => Promise<void>; follow?: (onEvent?: (event: dispatcher.JobEvent) => void) => Promise<dispatcher.JobEvent> }): CancelingClient & { canceled: number } {
  let asked = 0;
  const client = {
    canceled: 0,
    requestJob: (jobId: string) => Promise.resolve({ jobId, name: 'numbers', status: options.statuses[Math.min(asked++, options.statuses.length - 1)] } as dispatcher.JobDetails),
    cancelJob: () => {
      client.canceled++;
      return options.cancel?.() ?? Promise.resolve();
    },
    followJob: (_jobId: string, onEvent?: (event: dispatcher.JobEvent) => void) => options.follow?.(onEvent) ?? Promise.resolve(jobEvent('CANCELED')),
  };
  return client;
}

async function rejection(promise: Promise<unknown>): Promise<CliError> {
  const error = await promise.then(
    () => assert.fail('expected a rejection'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof CliError, String(error));
  return error;
}

describe('cancelAndWait', () => {
  it("resolves to the job's name once its terminal status is CANCELED", async () => {
    const client = testingClient({ statuses: ['RUNNING'] });
    assert.equal(await cancelAndWait(client, JOB_ID, 1_000), 'numbers');
    assert.equal(client.canceled, 1);
  });

  it('asks nothing of a job that has already ended, and says how it ended', async () => {
    const client = testingClient({ statuses: ['FINISHED'] });
    const error = await rejection(cancelAndWait(client, JOB_ID, 1_000));
    assert.equal(error.message, `Job ${JOB_ID} has already ended: it is FINISHED; there is nothing to cancel`);
    assert.equal(client.canceled, 0);
  });

  it('says the job has ended when it ended between the status call and the cancel call', async () => {
    const client = testingClient({ statuses: ['RUNNING', 'FAILED'], cancel: () => Promise.reject(new Error('Dispatcher.cancelJob failed: already ended')) });
    const error = await rejection(cancelAndWait(client, JOB_ID, 1_000));
    assert.equal(error.message, `Job ${JOB_ID} has already ended: it is FAILED; there is nothing to cancel`);
  });

  it("passes the Dispatcher's refusal on when the job still runs", async () => {
    const refusal = new Error('the JobMaster did not answer');
    const client = testingClient({ statuses: ['RUNNING'], cancel: () => Promise.reject(refusal) });
    await assert.rejects(cancelAndWait(client, JOB_ID, 1_000), (error: unknown) => error === refusal);
  });

  it('says so when the job ended otherwise than CANCELED', async () => {
    const client = testingClient({ statuses: ['RUNNING'], follow: () => Promise.resolve(jobEvent('FAILED')) });
    const error = await rejection(cancelAndWait(client, JOB_ID, 1_000));
    assert.equal(error.message, `Job ${JOB_ID} ended FAILED while it was being canceled; \`eddy status ${JOB_ID}\` shows why`);
  });

  it('gives up after the timeout, naming the status the job was last seen in', async () => {
    const client = testingClient({
      statuses: ['RUNNING'],
      follow: (onEvent) => {
        onEvent?.(jobEvent('CANCELLING'));
        return new Promise(() => undefined);
      },
    });
    const error = await rejection(cancelAndWait(client, JOB_ID, 50));
    assert.equal(error.message, `Job ${JOB_ID} is still CANCELLING 50 ms after it was asked to cancel; see \`eddy status ${JOB_ID}\`, or wait longer with --timeout`);
  });
});
