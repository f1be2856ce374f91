import type { RuntimeContext } from '../../process-function.js';
import type { ChainContext } from '../contract.js';
import type { KeyedStateBackend } from '../state/keyed-state-backend.js';

/**
 * The operators of a task's chain (Flink's StreamOperator). Chained operators are plain method
 * calls: an operator *is* the Output of the one before it, so passing a record on is one call of
 * `collect`. Nothing on that path allocates a promise or a closure, logs, or sends a message.
 */
export interface Output {
  collect(record: unknown): void;
}

/** What the chain gives each operator at open(). */
export interface OperatorContext {
  readonly chain: ChainContext;
  readonly operatorId: string;
  readonly operatorName: string;
  /** The vertex name. */
  readonly taskName: string;
  /** Reports an error raised outside a call from the runtime (a timer): the task fails with it. */
  failAsync(error: unknown): void;
  /** A RuntimeContext for user functions; with keyed state when a backend is given. */
  createRuntimeContext(backend?: KeyedStateBackend): RuntimeContext;
}

export interface StreamOperator extends Output {
  /** Called tail first, so that what an operator emits finds its successors open. */
  open(context: OperatorContext): void | Promise<void>;
  /** The input ended (bounded input); called head first. */
  endInput(): void;
  /** Flushes and commits; called head first after endInput, so flushed records reach open successors. */
  close(): void | Promise<void>;
  /** Releases everything without committing (failure or cancel). Must not throw for a half-open operator. */
  dispose(): void | Promise<void>;
}

export abstract class AbstractStreamOperator implements StreamOperator {
  constructor(protected readonly output: Output) {}
  abstract collect(record: unknown): void;
  open(_context: OperatorContext): void | Promise<void> {}
  endInput(): void {}
  close(): void | Promise<void> {}
  dispose(): void | Promise<void> {}
}

/** Where the records of an operator without consumers go. */
export class NoOpOutput implements Output {
  collect(_record: unknown): void {}
}

/** Hands each record to several outputs (an operator whose stream is consumed more than once). */
export class BroadcastingOutput implements Output {
  constructor(private readonly outputs: readonly Output[]) {}
  collect(record: unknown): void {
    const outputs = this.outputs;
    for (let i = 0; i < outputs.length; i++) (outputs[i] as Output).collect(record);
  }
}
