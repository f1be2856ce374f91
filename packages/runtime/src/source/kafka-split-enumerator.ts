/**
 * KafkaSplitEnumerator: the JobMaster's SplitEnumerator for a KafkaSource (the plan's
 * `splitEnumerator` of kind 'kafka'). It runs the connector's KafkaSourceEnumerator (partition
 * discovery and assignment, @eddy/connector-kafka/enumerator) from the source's settings in the
 * plan, so no job code runs in the JobManager, and serves the readers' requestNextInputSplit.
 *
 * Readers pull, with a wait: a reader keeps one request outstanding; when the enumerator has no
 * partition for its subtask, the request is held up to its wait_ms (at most half of
 * rpc.ask-timeout) and answered as soon as discovery assigns one, or with "none yet, more may come"
 * when the wait ends. So a new partition reaches its reader right after discovery, and an idle
 * reader asks about once per wait, never per record.
 *
 * Checkpointed with the coordinator: its state (every partition known, with where it starts and,
 * bounded, stops; whether the first discovery is done) goes into each checkpoint's metadata as the
 * vertex's `enumerator` ({ kind: 'kafka', splits, initialDiscoveryFinished }). Every (re)deployment
 * restarts it from the latest completed checkpoint's state (or none): every known partition is
 * queued again for one subtask at the job's parallelism now, partitions found since are found again
 * by the discovery that starts at once, and each reader resumes a partition where its restored
 * operator state says. A failing discovery fails the job (see KafkaSourceEnumerator); failovers and
 * the end of the job stop it and answer held requests; close() closes its Kafka clients.
 *
 * Threading: the JobMaster's main thread.
 */
import type { Logger } from '@eddy/common';
import { KAFKA_ENUMERATOR_KIND, KafkaSourceEnumerator, type KafkaEnumeratorSettings, type KafkaPartitionSplit, type KafkaSourceEnumState } from '@eddy/connector-kafka/enumerator';
import type { eddy_jobmaster_v1 as jm } from '@eddy/proto';
import type { ScheduledTask } from '@eddy/rpc';
import type { SplitEnumeratorState } from '../checkpoint/checkpoint-metadata.js';
import type { RestoredSplits, SourceSplitEnumerator } from './split-enumerator.js';

export interface KafkaSplitEnumeratorServices {
  readonly logger: Logger;
  /** Longest a request is held (half of rpc.ask-timeout). */
  readonly maxWaitMs: number;
  runInMainThread(fn: () => void): void;
  scheduleInMainThread(fn: () => void, delayMs: number): ScheduledTask;
  failJob(cause: Error): void;
}

interface HeldRequest {
  readonly subtask: number;
  readonly resolve: (response: jm.NextInputSplitResponse) => void;
  readonly timer: ScheduledTask;
}

const NONE_YET: jm.NextInputSplitResponse = { hasSplit: false, split: '', splitId: '', moreMayCome: true };

/** The plan's splitEnumerator names the Kafka enumerator. */
export function isKafkaEnumerator(descriptor: { kind: string }): boolean {
  return descriptor.kind === KAFKA_ENUMERATOR_KIND;
}

export class KafkaSplitEnumerator implements SourceSplitEnumerator {
  private readonly enumerator: KafkaSourceEnumerator;
  private held: HeldRequest[] = [];

  constructor(
    readonly vertexId: string,
    settings: KafkaEnumeratorSettings,
    readonly parallelism: number,
    private readonly services: KafkaSplitEnumeratorServices,
  ) {
    const logger = services.logger;
    this.enumerator = new KafkaSourceEnumerator(settings, parallelism, {
      runInMainThread: services.runInMainThread,
      schedule: (fn, delayMs) => services.scheduleInMainThread(fn, delayMs),
      info: (fields, message) => logger.info({ vertexId, ...fields }, message),
      warn: (fields, message) => logger.warn({ vertexId, ...fields }, message),
      splitsAvailable: () => this.answerHeld(),
      failJob: services.failJob,
    });
  }

  /** A (re)deployment: partitions come from the enumerator's own state (readers keep their offsets in theirs). */
  restore({ state }: RestoredSplits): void {
    this.start(state);
  }

  /** A (re)deployment: starts from a checkpoint's state (undefined, or another enumerator's: from nothing). */
  start(restored: SplitEnumeratorState | undefined): void {
    this.answerAllHeld();
    this.enumerator.start(restored?.kind === KAFKA_ENUMERATOR_KIND ? toEnumState(restored) : undefined);
  }

  /** The job fails over: no discovery until start(); held requests are answered. */
  stop(): void {
    this.enumerator.stop();
    this.answerAllHeld();
  }

  /** A reader's request: a split now, or held up to `waitMs` for one. */
  request(subtask: number, waitMs: number): Promise<jm.NextInputSplitResponse> {
    const now = this.answer(subtask);
    const wait = Math.min(waitMs, this.services.maxWaitMs);
    if (now !== undefined || wait <= 0 || !this.enumerator.moreMayCome) return Promise.resolve(now ?? this.noSplit());
    return new Promise((resolve) => {
      const request: HeldRequest = {
        subtask,
        resolve,
        timer: this.services.scheduleInMainThread(() => {
          if (!this.held.includes(request)) return;
          this.held = this.held.filter((r) => r !== request);
          resolve(this.noSplit());
        }, wait),
      };
      this.held.push(request);
    });
  }

  get checkpointState(): SplitEnumeratorState {
    const state = this.enumerator.snapshotState();
    return { kind: KAFKA_ENUMERATOR_KIND, splits: state.splits.map((split) => JSON.stringify(split)), cutForParallelism: this.parallelism, initialDiscoveryFinished: state.initialDiscoveryFinished };
  }

  /** The job ended: held requests are answered, the Kafka clients closed. */
  close(): Promise<void> {
    this.answerAllHeld();
    return this.enumerator.close();
  }

  private answer(subtask: number): jm.NextInputSplitResponse | undefined {
    const next = this.enumerator.nextSplit(subtask);
    return next.split === undefined ? undefined : { hasSplit: true, split: next.split.split, splitId: next.split.id, moreMayCome: true };
  }

  private noSplit(): jm.NextInputSplitResponse {
    return { ...NONE_YET, moreMayCome: this.enumerator.moreMayCome };
  }

  /** Discovery queued splits: held requests of their subtasks get them (and, once no more can come, the others hear so). */
  private answerHeld(): void {
    const still: HeldRequest[] = [];
    for (const request of this.held) {
      const next = this.enumerator.hasPending(request.subtask) ? this.answer(request.subtask) : this.enumerator.moreMayCome ? undefined : this.noSplit();
      if (next === undefined) {
        still.push(request);
        continue;
      }
      request.timer.cancel();
      request.resolve(next);
    }
    this.held = still;
  }

  private answerAllHeld(): void {
    const held = this.held;
    this.held = [];
    for (const request of held) {
      request.timer.cancel();
      request.resolve(NONE_YET);
    }
  }
}

function toEnumState(state: SplitEnumeratorState): KafkaSourceEnumState {
  return { splits: state.splits.map((json) => JSON.parse(json) as KafkaPartitionSplit), initialDiscoveryFinished: state.initialDiscoveryFinished === true };
}
