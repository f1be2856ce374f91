/**
 * The assignment half of KafkaSourceEnumerator, with no Kafka client in it (so it is tested on its
 * own): which partitions the source knows, which reader subtask each goes to, and which of them
 * each subtask has not been handed yet.
 *
 * A partition is a split (KafkaPartitionSplit: topic, partition, the offset it starts at, and for a
 * bounded read the offset it stops before). A new one goes to one subtask by Flink's owner rule
 * (KafkaSourceEnumerator.getSplitOwner, `ownerOf`), queued until that subtask asks. Its state (every
 * known split, whether the first discovery is done) is the enumerator's checkpointed state; a reset
 * from it queues every known split again for its owner at the parallelism the job runs at now, so
 * a restore at another parallelism hands each partition to exactly one subtask. Where a reader
 * resumes is its own operator state, not this one: a split's `start` is only for a partition no
 * reader checkpointed.
 *
 * Also what the source and its enumerator share: the enumerator's kind and settings.
 */

import type { OffsetsInitializer } from './offsets-initializer.js';

/** The kind of Source.splitEnumerator() a KafkaSource describes. */
export const KAFKA_ENUMERATOR_KIND = 'kafka';

/**
 * What the plan carries of a KafkaSource for its enumerator (JSON). Here, not beside the
 * enumerator, so the source (bundled into jobs) does not reach the enumerator's worker thread.
 */
export interface KafkaEnumeratorSettings {
  readonly properties: Readonly<Record<string, string>>;
  readonly topics?: readonly string[];
  /** A RegExp as source and flags (anchored by the builder). */
  readonly topicPattern?: { readonly source: string; readonly flags: string };
  readonly groupId: string;
  readonly startingOffsets: OffsetsInitializer;
  readonly bounded: boolean;
  /** Bounded: where each partition stops (setBounded's initializer); absent: latest(), as before it was recorded. */
  readonly stoppingOffsets?: OffsetsInitializer;
}

/** One Kafka partition as a split of the source (JSON in the plan's split protocol). */
export interface KafkaPartitionSplit {
  readonly topic: string;
  readonly partition: number;
  /** The offset to start at when the readers' state has none for the partition. */
  readonly start: number;
  /** Bounded reads: the offset reading stops before. */
  readonly stop?: number;
}

/** What a checkpoint keeps of the enumerator (FLIP-27's KafkaSourceEnumState). */
export interface KafkaSourceEnumState {
  readonly splits: readonly KafkaPartitionSplit[];
  /** The first discovery finished: partitions found from now on start at the earliest offset. */
  readonly initialDiscoveryFinished: boolean;
}

export function splitId(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Flink's KafkaSourceEnumerator.getSplitOwner: (((topic.hashCode() * 31) & 0x7fffffff) % n + partition) % n. */
export function ownerOf(topic: string, partition: number, parallelism: number): number {
  let hash = 0;
  for (let i = 0; i < topic.length; i++) hash = (Math.imul(hash, 31) + topic.charCodeAt(i)) | 0;
  const start = (Math.imul(hash, 31) & 0x7fffffff) % parallelism;
  return (start + partition) % parallelism;
}

export class KafkaSplitAssignment {
  private readonly known = new Map<string, KafkaPartitionSplit>();
  /** Per subtask, the splits it has not been handed yet, in the order they were found. */
  private readonly pending: KafkaPartitionSplit[][];
  private discovered = false;

  constructor(
    readonly parallelism: number,
    restored?: KafkaSourceEnumState,
  ) {
    if (!Number.isSafeInteger(parallelism) || parallelism < 1) throw new RangeError(`a Kafka source needs a parallelism of at least 1, got ${parallelism}`);
    this.pending = Array.from({ length: parallelism }, () => []);
    if (restored !== undefined) {
      this.discovered = restored.initialDiscoveryFinished;
      this.add(restored.splits);
    }
  }

  get initialDiscoveryFinished(): boolean {
    return this.discovered;
  }

  isKnown(topic: string, partition: number): boolean {
    return this.known.has(splitId(topic, partition));
  }

  /** The ids (splitId) of every known partition. */
  knownIds(): string[] {
    return [...this.known.keys()];
  }

  /** Adds the splits not known yet (each queued for its owner); returns those. Marks the first discovery done. */
  addDiscovered(splits: readonly KafkaPartitionSplit[]): KafkaPartitionSplit[] {
    this.discovered = true;
    return this.add(splits);
  }

  /** The next split for `subtask`, or undefined when it has none waiting. */
  nextSplit(subtask: number): KafkaPartitionSplit | undefined {
    return this.pending[subtask]?.shift();
  }

  hasPending(subtask: number): boolean {
    return (this.pending[subtask]?.length ?? 0) > 0;
  }

  snapshot(): KafkaSourceEnumState {
    return { splits: [...this.known.values()], initialDiscoveryFinished: this.discovered };
  }

  private add(splits: readonly KafkaPartitionSplit[]): KafkaPartitionSplit[] {
    const added: KafkaPartitionSplit[] = [];
    for (const split of splits) {
      const id = splitId(split.topic, split.partition);
      if (this.known.has(id)) continue;
      this.known.set(id, split);
      (this.pending[ownerOf(split.topic, split.partition, this.parallelism)] as KafkaPartitionSplit[]).push(split);
      added.push(split);
    }
    return added;
  }
}
