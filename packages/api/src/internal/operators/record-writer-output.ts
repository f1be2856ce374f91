import { keyGroupFor, operatorIndexForKeyGroup } from '../../key-groups.js';
import type { ChainOutput } from '../contract.js';
import type { KeyFunction, Partitioner } from '../transformation.js';
import type { OutputTag } from '../../output-tag.js';
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

/**
 * What every record-writer output does beside picking channels: watermarks and watermark statuses
 * go to every channel of the edge (the runtime sends them in order with the records). Side-output
 * records never reach one: the chain routes them to the edges of their tag (SideOutputRouter).
 */
abstract class RecordWriterOutput implements Output {
  constructor(protected readonly output: ChainOutput) {}
  abstract collect(record: unknown, timestamp: number): void;
  emitWatermark(watermark: number): void {
    this.output.emitWatermark(watermark);
  }
  emitWatermarkStatus(idle: boolean): void {
    this.output.emitWatermarkStatus(idle);
  }
  collectSide(_tag: OutputTag<unknown>, _record: unknown, _timestamp: number): void {}
}

/** Subtask i sends to subtask i: the runtime gives one channel. */
export class ForwardOutput extends RecordWriterOutput {
  collect(record: unknown, timestamp: number): void {
    this.output.emit(record, 0, timestamp);
  }
}

/** Round robin over all channels, each subtask starting at a different one (Flink's RebalancePartitioner). */
export class RebalanceOutput extends RecordWriterOutput {
  private next: number;
  private readonly channels: number;
  constructor(output: ChainOutput, subtaskIndex: number) {
    super(output);
    this.channels = output.numberOfChannels;
    this.next = subtaskIndex % this.channels;
  }
  collect(record: unknown, timestamp: number): void {
    const channel = this.next;
    if (++this.next === this.channels) this.next = 0;
    this.output.emit(record, channel, timestamp);
  }
}

/** Round robin over this subtask's own (pointwise) channels, from the first (Flink's RescalePartitioner). */
export class RescaleOutput extends RecordWriterOutput {
  private next = 0;
  private readonly channels: number;
  constructor(output: ChainOutput) {
    super(output);
    this.channels = output.numberOfChannels;
  }
  collect(record: unknown, timestamp: number): void {
    const channel = this.next;
    if (++this.next === this.channels) this.next = 0;
    this.output.emit(record, channel, timestamp);
  }
}

export class BroadcastOutput extends RecordWriterOutput {
  collect(record: unknown, timestamp: number): void {
    this.output.broadcastEmit(record, timestamp);
  }
}

/** A random channel per record (Flink's ShufflePartitioner; the plan shows the edge as 'rebalance'). */
export class ShuffleOutput extends RecordWriterOutput {
  private readonly channels: number;
  constructor(output: ChainOutput) {
    super(output);
    this.channels = output.numberOfChannels;
  }
  collect(record: unknown, timestamp: number): void {
    this.output.emit(record, Math.floor(Math.random() * this.channels), timestamp);
  }
}

/** keyBy: key -> key group -> the target subtask owning it (Flink's KeyGroupStreamPartitioner). */
export class KeyGroupOutput extends RecordWriterOutput {
  constructor(
    output: ChainOutput,
    private readonly keySelector: KeyFunction,
    private readonly maxParallelism: number,
    private readonly parallelism: number,
  ) {
    super(output);
  }
  collect(record: unknown, timestamp: number): void {
    const selector = this.keySelector;
    const keyGroup = keyGroupFor(selector(record), this.maxParallelism);
    this.output.emit(record, operatorIndexForKeyGroup(this.maxParallelism, this.parallelism, keyGroup), timestamp);
  }
}
