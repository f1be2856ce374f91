/**
 * A sink for the checkpoint test jobs: appends "<index> <count> <attempt>" per record to
 * `<directory>/subtask-<n>`, written at once, so a killed process loses nothing (readCounts in
 * checkpoint-test-utils.ts reads it back).
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { RuntimeContext, Sink } from '@eddy/api';

export class AppendingSink implements Sink<readonly [number, number, ...unknown[]]> {
  private fd = -1;
  private attempt = 0;
  constructor(private readonly directory: string) {}
  open(context: RuntimeContext): void {
    mkdirSync(this.directory, { recursive: true });
    this.attempt = context.attemptNumber;
    this.fd = openSync(join(this.directory, `subtask-${context.indexOfThisSubtask}`), 'a');
  }
  invoke([index, count]: readonly [number, number, ...unknown[]]): void {
    writeSync(this.fd, `${index} ${count} ${this.attempt}\n`);
  }
  dispose(): void {
    if (this.fd >= 0) closeSync(this.fd);
  }
}
