/**
 * SplitEnumerator: hands out the splits of one source vertex to its readers (FLIP-27's
 * SplitEnumerator, JobMaster side), for the sources whose splits are cut when the job is planned
 * (text files by byte range, sequences and generators by range, collections as one split).
 *
 * Readers pull: a reader that has no split left asks for the next one (requestNextInputSplit); the
 * answer is a split and its id, or none when every split was handed out. A split's id is its
 * index in the plan's list. A split cut for one subtask (its JSON has `"subtask": i`, as sequence,
 * generator and collection splits do) goes to that subtask only; the others go to whoever asks
 * first (text file ranges), so fast readers take more.
 *
 * Checkpointed through the readers: a reader's snapshot lists the splits it holds (with their
 * positions, in its operator state) and the ones it finished, so the enumerator's state at a
 * checkpoint is "every split minus the held and finished ones". After a failover the enumerator
 * starts from the latest completed checkpoint's finished and held splits: held ones go back to
 * their readers with the readers' state, finished ones are never handed out again, and the others
 * are handed out again, including any that were handed out after the checkpoint.
 *
 * Its own state goes into each checkpoint too (checkpointState: the splits, the parallelism they
 * were cut for). A reset from a checkpoint hands out the checkpoint's splits, not the plan's: at
 * another parallelism the plan cuts sequences and generators differently, and the checkpoint's
 * split ids and held positions only mean something against its own splits. When the splits were
 * cut for another parallelism than the job's, no split is bound to a subtask any more: the held
 * ones travel with the readers' operator state (redistributed by even split), the rest go to
 * whoever asks first.
 *
 * Threading: the JobMaster's main thread.
 */

import type { eddy_jobmaster_v1 as jm } from '@eddy/proto';
import type { SplitEnumeratorState } from '../checkpoint/checkpoint-metadata.js';

/** What a (re)deployment starts a SplitEnumerator from: the latest completed checkpoint's view of the vertex's splits. */
export interface RestoredSplits {
  /** Split ids the readers finished, and those they held (with their positions in their state). */
  readonly finished: ReadonlySet<string>;
  readonly held: ReadonlySet<string>;
  /** The enumerator's own state in that checkpoint; undefined: none (the plan's splits). */
  readonly state: SplitEnumeratorState | undefined;
}

/**
 * A source vertex's SplitEnumerator as the JobMaster drives it (JobCheckpointing): this file's
 * StaticSplitEnumerator for plan-time splits, or a connector's (KafkaSplitEnumerator).
 */
export interface SourceSplitEnumerator {
  readonly vertexId: string;
  /** A (re)deployment: every split not finished or held is to be handed out again. */
  restore(restored: RestoredSplits): void;
  /** A reader's request for its next split; an enumerator that may still find splits can hold it up to `waitMs`. */
  request(subtask: number, waitMs: number): Promise<jm.NextInputSplitResponse>;
  /** For the checkpoint's metadata. */
  readonly checkpointState: SplitEnumeratorState;
  /** The job fails over: nothing is handed out until restore(). */
  stop(): void;
  /** The job ended (or its JobMaster stops): whatever the enumerator holds is let go. Never rejects. */
  close(): Promise<void>;
}

export interface AssignedSplit {
  readonly id: string;
  readonly split: string;
}

/** What a checkpoint keeps of an enumerator. */
export interface SplitEnumeratorCheckpoint {
  readonly splits: readonly string[];
  readonly cutForParallelism: number;
  /** Set by other enumerators (KafkaSplitEnumerator's 'kafka'); absent for this one. */
  readonly kind?: string;
}

export class StaticSplitEnumerator implements SourceSplitEnumerator {
  private queue: number[] = [];
  private splits: readonly string[];
  private cutForParallelism: number;
  /** The subtask each split was cut for; undefined for splits anyone may take. */
  private owners: (number | undefined)[];

  /** `splits` are the plan's, cut for `parallelism` subtasks (the vertex's). */
  constructor(
    readonly vertexId: string,
    private readonly planSplits: readonly string[],
    private readonly parallelism: number,
  ) {
    this.splits = planSplits;
    this.cutForParallelism = parallelism;
    this.owners = planSplits.map(ownerOf);
    this.reset(new Set(), new Set());
  }

  /**
   * Every split is unassigned again, except those finished or held as of the restored checkpoint;
   * `restored` is the enumerator's state in that checkpoint (undefined: the plan's splits).
   */
  reset(finished: ReadonlySet<string>, held: ReadonlySet<string>, restoredState?: SplitEnumeratorCheckpoint): void {
    // Another kind's state (the vertex read Kafka when the checkpoint was taken) is not this one's.
    const restored = restoredState?.kind === undefined ? restoredState : undefined;
    this.splits = restored?.splits ?? this.planSplits;
    this.cutForParallelism = restored?.cutForParallelism ?? this.parallelism;
    this.owners = this.cutForParallelism === this.parallelism ? this.splits.map(ownerOf) : this.splits.map(() => undefined);
    this.queue = [];
    for (let index = 0; index < this.splits.length; index++) {
      const id = String(index);
      if (!finished.has(id) && !held.has(id)) this.queue.push(index);
    }
  }

  /** The next unassigned split for `subtask`, or undefined when none are left for it. */
  nextSplit(subtask: number): AssignedSplit | undefined {
    const at = this.queue.findIndex((index) => {
      const owner = this.owners[index];
      return owner === undefined || owner === subtask;
    });
    if (at < 0) return undefined;
    const [index] = this.queue.splice(at, 1) as [number];
    return { id: String(index), split: this.splits[index] as string };
  }

  restore({ finished, held, state }: RestoredSplits): void {
    this.reset(finished, held, state);
  }

  /** Plan-time splits are all known: answered at once, never held. */
  request(subtask: number): Promise<jm.NextInputSplitResponse> {
    const next = this.nextSplit(subtask);
    return Promise.resolve(next === undefined ? { hasSplit: false, split: '', splitId: '', moreMayCome: false } : { hasSplit: true, split: next.split, splitId: next.id, moreMayCome: false });
  }

  /** For the checkpoint's metadata. */
  get checkpointState(): SplitEnumeratorCheckpoint {
    return { splits: this.splits, cutForParallelism: this.cutForParallelism };
  }

  stop(): void {}

  close(): Promise<void> {
    return Promise.resolve();
  }

  get remaining(): number {
    return this.queue.length;
  }
}

function ownerOf(split: string): number | undefined {
  if (!split.includes('"subtask"')) return undefined;
  try {
    const owner = (JSON.parse(split) as { subtask?: unknown }).subtask;
    return typeof owner === 'number' ? owner : undefined;
  } catch {
    return undefined;
  }
}
