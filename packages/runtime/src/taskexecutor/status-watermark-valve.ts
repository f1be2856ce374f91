/**
 * The input watermark of one logical input of a task (Flink's StatusWatermarkValve): the minimum
 * of the watermarks of its input channels, over the channels that are active and aligned.
 *
 *   - A channel's watermark only goes up; a lower one is ignored.
 *   - An IDLE channel leaves the minimum (a source split without data does not hold event time
 *     back). When every channel is idle the input is idle: the valve emits the largest channel
 *     watermark so far, then IDLE.
 *   - A channel that becomes ACTIVE again rejoins the minimum once its watermark has caught up
 *     with the input's (until then it is "unaligned"), so the input watermark never goes back.
 *   - A channel that ended (END_OF_DATA or END_OF_PARTITION) counts as MAX (Infinity) and is
 *     active; when all have ended, the input watermark is Infinity.
 *
 * The output never goes backwards and is emitted only when it advances.
 *
 * Loaded by task worker threads: imports nothing.
 */

export interface ValveOutput {
  emitWatermark(watermark: number): void;
  emitWatermarkStatus(idle: boolean): void;
}

interface ChannelStatus {
  watermark: number;
  idle: boolean;
  /** Takes part in the minimum (active, and its watermark caught up with the output). */
  aligned: boolean;
}

export class StatusWatermarkValve {
  private readonly channels: ChannelStatus[];
  private lastOutputWatermark = Number.NEGATIVE_INFINITY;
  private lastOutputIdle = false;

  constructor(
    numberOfChannels: number,
    private readonly output: ValveOutput,
  ) {
    this.channels = Array.from({ length: numberOfChannels }, () => ({ watermark: Number.NEGATIVE_INFINITY, idle: false, aligned: true }));
  }

  /** The input watermark now (-Infinity before any). */
  get currentWatermark(): number {
    return this.lastOutputWatermark;
  }

  get isIdle(): boolean {
    return this.lastOutputIdle;
  }

  /** The index of the channel that holds the input watermark back (the smallest aligned one), or -1. */
  get laggingChannel(): number {
    let index = -1;
    let min = Number.POSITIVE_INFINITY;
    this.channels.forEach((channel, i) => {
      if (channel.aligned && channel.watermark < min) {
        min = channel.watermark;
        index = i;
      }
    });
    return index;
  }

  inputWatermark(watermark: number, channelIndex: number): void {
    const channel = this.channel(channelIndex);
    if (channel.idle || !(watermark > channel.watermark)) return;
    channel.watermark = watermark;
    if (!channel.aligned && watermark >= this.lastOutputWatermark) channel.aligned = true;
    this.emitMinimumOfAligned();
  }

  inputWatermarkStatus(idle: boolean, channelIndex: number): void {
    const channel = this.channel(channelIndex);
    if (idle === channel.idle) return;
    if (idle) {
      channel.idle = true;
      channel.aligned = false;
      if (this.channels.every((c) => c.idle)) {
        // Flink: flush the largest watermark of all channels, then go idle.
        let max = Number.NEGATIVE_INFINITY;
        for (const c of this.channels) if (c.watermark > max) max = c.watermark;
        if (max > this.lastOutputWatermark) {
          this.lastOutputWatermark = max;
          this.output.emitWatermark(max);
        }
        this.lastOutputIdle = true;
        this.output.emitWatermarkStatus(true);
      } else if (channel.watermark === this.lastOutputWatermark) {
        // It may have been the one holding the minimum back.
        this.emitMinimumOfAligned();
      }
    } else {
      channel.idle = false;
      if (channel.watermark >= this.lastOutputWatermark) channel.aligned = true;
      if (this.lastOutputIdle) {
        this.lastOutputIdle = false;
        this.output.emitWatermarkStatus(false);
      }
    }
  }

  /** The channel ended: from now on it counts as MAX and active. */
  channelEnded(channelIndex: number): void {
    this.inputWatermarkStatus(false, channelIndex);
    this.inputWatermark(Number.POSITIVE_INFINITY, channelIndex);
  }

  private emitMinimumOfAligned(): void {
    let min = Number.POSITIVE_INFINITY;
    let any = false;
    for (const channel of this.channels) {
      if (!channel.aligned) continue;
      any = true;
      if (channel.watermark < min) min = channel.watermark;
    }
    if (any && min > this.lastOutputWatermark) {
      this.lastOutputWatermark = min;
      this.output.emitWatermark(min);
    }
  }

  private channel(index: number): ChannelStatus {
    const channel = this.channels[index];
    if (channel === undefined) throw new RangeError(`No channel ${index}: this input has ${this.channels.length}`);
    return channel;
  }
}
