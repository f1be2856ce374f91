import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import pino from 'pino';
import { logAttemptTransition } from '../../src/executiongraph/transition-log.js';

const identity = { jobId: 'job-1', vertexId: 'v1', vertexName: 'Map', subtaskIndex: 0, parallelism: 2, attemptNumber: 0 };

function rawLines(): { lines: string[]; logger: pino.Logger } {
  const lines: string[] = [];
  return { lines, logger: pino({ level: 'info' }, { write: (line: string) => lines.push(line) }) };
}

describe('logAttemptTransition', () => {
  it('names the job once, whether or not the logger has the job id bound (JobMaster) or not (TaskExecutor)', () => {
    const { lines, logger } = rawLines();
    logAttemptTransition(logger.child({ component: 'JobMaster', jobId: 'job-1' }), identity, 'DEPLOYING', 'INITIALIZING', 'tm-1');
    logAttemptTransition(logger.child({ component: 'TaskExecutor' }), identity, 'DEPLOYING', 'INITIALIZING', 'tm-1');
    assert.equal(lines.length, 2);
    for (const line of lines) {
      assert.equal(line.match(/"jobId":/g)?.length, 1, line);
      assert.match(line, /"msg":"Map \(1\/2\) \(attempt 0\) switched from DEPLOYING to INITIALIZING"/);
    }
  });
});
