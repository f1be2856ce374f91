/**
 * Flink's currentInputWatermark of a task with inputs: the minimum of its inputs' watermarks (one
 * StatusWatermarkValve per logical input), and the input channel that holds it back, as an input
 * gate index of the deployment and a channel of that gate, so the TaskExecutor can name the
 * producer. Updated after each watermark, watermark status or end of a channel, never per record.
 *
 * Loaded by task worker threads: imports nothing but types.
 */
import type { TaskWatermarkGauge } from '../metrics/task-io-metrics.js';
import type { StatusWatermarkValve } from './status-watermark-valve.js';

/** Where one input gate's channels sit in its input's valve. */
export interface GateInValve {
  readonly input: number;
  /** The valve channel of the gate's channel 0. */
  readonly firstChannel: number;
  readonly channels: number;
}

export class InputWatermarkMetric {
  constructor(
    private readonly gauge: TaskWatermarkGauge,
    private readonly valves: ReadonlyMap<number, StatusWatermarkValve>,
    private readonly gates: readonly GateInValve[],
  ) {}

  /** A watermark below the end of input arrived on some channel: the task takes part in event time. */
  markSeen(): void {
    this.gauge.markSeen();
  }

  update(): void {
    let watermark = Number.POSITIVE_INFINITY;
    let holding: number | undefined;
    for (const [input, valve] of this.valves) {
      if (holding === undefined || valve.currentWatermark < watermark) {
        watermark = valve.currentWatermark;
        holding = input;
      }
    }
    const valve = holding === undefined ? undefined : this.valves.get(holding);
    let laggingGate = -1;
    let laggingChannel = -1;
    const channel = valve === undefined || valve.isIdle ? -1 : valve.laggingChannel;
    if (channel >= 0) {
      laggingGate = this.gates.findIndex((gate) => gate.input === holding && channel >= gate.firstChannel && channel < gate.firstChannel + gate.channels);
      if (laggingGate >= 0) laggingChannel = channel - (this.gates[laggingGate] as GateInValve).firstChannel;
    }
    this.gauge.set(watermark, laggingGate, laggingGate < 0 ? -1 : laggingChannel);
  }
}
