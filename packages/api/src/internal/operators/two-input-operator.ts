import type { OutputTag } from '../../output-tag.js';
import { AbstractStreamOperator, MIN_WATERMARK, type Output, type StreamOperator } from './stream-operator.js';

/**
 * An operator with two logical inputs (Flink's TwoInputStreamOperator): connect, the broadcast
 * state pattern and the interval join. It is always the head of its chain (its two inputs arrive
 * on the task's input gates, each edge tagged with the input it feeds); what it emits goes down
 * its chain like any operator's.
 *
 * The chain hands each input's records, watermarks and watermark statuses to `inputs[i]`, and the
 * end of each input to endInputOf(i); once both ended, the chain's usual end of input follows
 * (endInput(), finish()).
 */
export interface TwoInputStreamOperator extends StreamOperator {
  /** Where input 0's and input 1's records, watermarks and statuses go. */
  readonly inputs: readonly [Output, Output];
  /** Every channel of input `input` (0 or 1) ended (Flink's BoundedMultiInput.endInput). */
  endInputOf(input: number): void;
}

export function isTwoInputOperator(operator: StreamOperator): operator is TwoInputStreamOperator {
  return (operator as Partial<TwoInputStreamOperator>).inputs !== undefined && typeof (operator as Partial<TwoInputStreamOperator>).endInputOf === 'function';
}

/**
 * The common part of the two-input operators (Flink's AbstractStreamOperator with
 * processWatermark1/2): state and timers as for one-input operators; the operator's watermark is
 * the minimum of its two inputs' watermarks, an idle input left out (Flink's
 * CombinedWatermarkStatus), and never goes backwards. The operator is idle when both inputs are.
 */
export abstract class AbstractTwoInputStreamOperator extends AbstractStreamOperator implements TwoInputStreamOperator {
  readonly inputs: readonly [Output, Output];
  private readonly inputWatermarks = [MIN_WATERMARK, MIN_WATERMARK];
  private readonly inputIdle = [false, false];
  private readonly inputEnded = [false, false];
  private idle = false;

  constructor(output: Output) {
    super(output);
    this.inputs = [new OperatorInput(this, 0), new OperatorInput(this, 1)];
  }

  /** A record of the first input (`a` in `a.connect(b)`). */
  abstract processElement1(record: unknown, timestamp: number): void;
  /** A record of the second input. */
  abstract processElement2(record: unknown, timestamp: number): void;

  collect(_record: unknown, _timestamp: number): void {
    throw new Error(`internal error: ${this.constructor.name} has two inputs; the chain hands records to inputs[0] or inputs[1]`);
  }

  processWatermark1(watermark: number): void {
    this.inputWatermark(0, watermark);
  }

  processWatermark2(watermark: number): void {
    this.inputWatermark(1, watermark);
  }

  processWatermarkStatus1(idle: boolean): void {
    this.inputStatus(0, idle);
  }

  processWatermarkStatus2(idle: boolean): void {
    this.inputStatus(1, idle);
  }

  endInputOf(input: number): void {
    this.inputEnded[input] = true;
  }

  /** True when input `input` (0 or 1) ended. */
  protected hasEnded(input: number): boolean {
    return this.inputEnded[input] === true;
  }

  private inputWatermark(input: number, watermark: number): void {
    if (watermark <= (this.inputWatermarks[input] as number)) return;
    this.inputWatermarks[input] = watermark;
    this.advance();
  }

  private inputStatus(input: number, idle: boolean): void {
    if (this.inputIdle[input] === idle) return;
    this.inputIdle[input] = idle;
    const bothIdle = this.inputIdle[0] === true && this.inputIdle[1] === true;
    if (bothIdle !== this.idle) {
      this.idle = bothIdle;
      this.output.emitWatermarkStatus(bothIdle);
    }
    // An input that went idle no longer holds the other back.
    if (idle) this.advance();
  }

  private advance(): void {
    const idle1 = this.inputIdle[0] === true;
    const idle2 = this.inputIdle[1] === true;
    if (idle1 && idle2) return;
    const combined = idle1 ? (this.inputWatermarks[1] as number) : idle2 ? (this.inputWatermarks[0] as number) : Math.min(this.inputWatermarks[0] as number, this.inputWatermarks[1] as number);
    if (combined > this.lastWatermark) this.processWatermark(combined);
  }
}

/** One input of a two-input operator, as the Output its chain hands records to. */
class OperatorInput implements Output {
  constructor(
    private readonly operator: AbstractTwoInputStreamOperator,
    private readonly input: number,
  ) {}
  collect(record: unknown, timestamp: number): void {
    if (this.input === 0) this.operator.processElement1(record, timestamp);
    else this.operator.processElement2(record, timestamp);
  }
  emitWatermark(watermark: number): void {
    if (this.input === 0) this.operator.processWatermark1(watermark);
    else this.operator.processWatermark2(watermark);
  }
  emitWatermarkStatus(idle: boolean): void {
    if (this.input === 0) this.operator.processWatermarkStatus1(idle);
    else this.operator.processWatermarkStatus2(idle);
  }
  collectSide(_tag: OutputTag<unknown>, _record: unknown, _timestamp: number): void {}
}
