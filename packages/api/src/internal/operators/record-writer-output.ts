import { keyGroupFor, operatorIndexForKeyGroup } from '../../key-groups.js';
import type { ChainOutput } from '../contract.js';
import type { KeyFunction, Partitioner } from '../transformation.js';
import type { Output } from './stream-operator.js';

/**
 * The end of a chain towards another task (Flink's RecordWriterOutput with its
 * ChannelSelector): picks the channel of each record and hands it to the runtime's ChainOutput.
 * One class per partitioner, so the record path has no switch.
 */
export function createRecordWriterOutput(
  partitioner: Partitioner,
  output: ChainOutput,
  subtaskIndex: number,
  target: { readonly parallelism: number; readonly maxParallelism: number },
  keySelector: KeyFunction | undefined,
): Output {
  switch (partitioner) {
    case 'forward':
      return new ForwardOutput(output);
    case 'rebalance':
      return new RebalanceOutput(output, subtaskIndex);
    case 'rescale':
      return new RescaleOutput(output);
    case 'broadcast':
      return new BroadcastOutput(output);
    case 'shuffle':
      return new ShuffleOutput(output);
    case 'hash':
      if (keySelector === undefined) throw new Error(`the hash edge to ${output.target} has no key selector`);
      if (output.numberOfChannels !== target.parallelism) {
        throw new Error(`the hash edge to ${output.target} has ${output.numberOfChannels} channels but its target has parallelism ${target.parallelism}`);
      }
      // With one consumer every key group is its own: no key to extract, no hash to compute.
      if (target.parallelism === 1) return new ForwardOutput(output);
      return new KeyGroupOutput(output, keySelector, target.maxParallelism, target.parallelism);
  }
}

/** Subtask i sends to subtask i: the runtime gives one channel. */
export class ForwardOutput implements Output {
  constructor(private readonly output: ChainOutput) {}
  collect(record: unknown): void {
    this.output.emit(record, 0);
  }
}

/** Round robin over all channels, each subtask starting at a different one (Flink's RebalancePartitioner). */
export class RebalanceOutput implements Output {
  private next: number;
  private readonly channels: number;
  constructor(
    private readonly output: ChainOutput,
    subtaskIndex: number,
  ) {
    this.channels = output.numberOfChannels;
    this.next = subtaskIndex % this.channels;
  }
  collect(record: unknown): void {
    const channel = this.next;
    if (++this.next === this.channels) this.next = 0;
    this.output.emit(record, channel);
  }
}

/** Round robin over this subtask's own (pointwise) channels, from the first (Flink's RescalePartitioner). */
export class RescaleOutput implements Output {
  private next = 0;
  private readonly channels: number;
  constructor(private readonly output: ChainOutput) {
    this.channels = output.numberOfChannels;
  }
  collect(record: unknown): void {
    const channel = this.next;
    if (++this.next === this.channels) this.next = 0;
    this.output.emit(record, channel);
  }
}

export class BroadcastOutput implements Output {
  constructor(private readonly output: ChainOutput) {}
  collect(record: unknown): void {
    this.output.broadcastEmit(record);
  }
}

/** A random channel per record (Flink's ShufflePartitioner; the plan shows the edge as 'rebalance'). */
export class ShuffleOutput implements Output {
  private readonly channels: number;
  constructor(private readonly output: ChainOutput) {
    this.channels = output.numberOfChannels;
  }
  collect(record: unknown): void {
    this.output.emit(record, Math.floor(Math.random() * this.channels));
  }
}

/** keyBy: key -> key group -> the target subtask owning it (Flink's KeyGroupStreamPartitioner). */
export class KeyGroupOutput implements Output {
  constructor(
    private readonly output: ChainOutput,
    private readonly keySelector: KeyFunction,
    private readonly maxParallelism: number,
    private readonly parallelism: number,
  ) {}
  collect(record: unknown): void {
    const selector = this.keySelector;
    const keyGroup = keyGroupFor(selector(record), this.maxParallelism);
    this.output.emit(record, operatorIndexForKeyGroup(this.maxParallelism, this.parallelism, keyGroup));
  }
}
