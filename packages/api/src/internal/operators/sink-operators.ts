import type { Sink } from '../../sink.js';
import { bufferTimeoutMs } from '../config.js';
import type { ChainContext } from '../contract.js';
import { formatRecord } from './format-record.js';
import { AbstractStreamOperator, NoOpOutput, type OperatorContext } from './stream-operator.js';

const NO_OUTPUT = new NoOpOutput();

/**
 * A sink that buffers what it hands to the runtime and flushes when the buffer is full, when
 * `execution.buffer-timeout` has passed since the first buffered record (one timer per flush,
 * never per record), and at close.
 */
abstract class BufferingSinkOperator extends AbstractStreamOperator {
  protected chain!: ChainContext;
  private timeoutMs = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failAsync: (error: unknown) => void = () => {};
  private readonly onTimeout = (): void => {
    this.timer = undefined;
    try {
      this.flushBuffer();
    } catch (error) {
      this.failAsync(error);
    }
  };

  constructor() {
    super(NO_OUTPUT);
  }

  override open(context: OperatorContext): void | Promise<void> {
    this.chain = context.chain;
    this.timeoutMs = bufferTimeoutMs(context.chain.configuration);
    this.failAsync = (error) => context.failAsync(error);
  }

  /** Sends what is buffered. */
  protected abstract flushBuffer(): void;

  /** Called after buffering a record. */
  protected buffered(full: boolean): void {
    if (full || this.timeoutMs === 0) this.flush();
    else if (this.timer === undefined && this.timeoutMs > 0) this.timer = setTimeout(this.onTimeout, this.timeoutMs);
  }

  protected flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.flushBuffer();
  }

  /** What is buffered goes out before the barrier, so it belongs to the checkpoint. */
  override prepareSnapshotPreBarrier(_checkpointId: number): void {
    this.flush();
  }

  override finish(): void | Promise<void> {
    this.flush();
  }

  override close(): void | Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    return super.close();
  }
}

const PRINT_BUFFER_CHARS = 16 * 1024;

/**
 * print(): one line per record on the task's stdout, prefixed with the subtask ("2> ") when the
 * sink runs in more than one subtask, as Flink's PrintSinkFunction does.
 */
export class PrintSinkOperator extends BufferingSinkOperator {
  private prefix = '';
  private buffer = '';

  constructor(private readonly sinkIdentifier: string | undefined) {
    super();
  }

  override open(context: OperatorContext): void {
    super.open(context);
    const { parallelism, subtaskIndex } = context.chain;
    const id = this.sinkIdentifier;
    if (parallelism > 1) this.prefix = id === undefined ? `${subtaskIndex + 1}> ` : `${id}:${subtaskIndex + 1}> `;
    else this.prefix = id === undefined ? '' : `${id}> `;
  }

  collect(record: unknown): void {
    this.buffer += this.prefix + formatRecord(record) + '\n';
    this.buffered(this.buffer.length >= PRINT_BUFFER_CHARS);
  }

  protected flushBuffer(): void {
    if (this.buffer.length === 0) return;
    const text = this.buffer;
    this.buffer = '';
    this.chain.writeStdout(text);
  }

  /** What was printed before a failure is shown, as a plain print would have. */
  override close(): void | Promise<void> {
    try {
      this.flushBuffer();
    } catch {
      // the runtime may already be gone; nothing to report to
    }
    return super.close();
  }
}

export const COLLECT_BATCH_SIZE = 1000;

/** collect(): sends records to the client that submitted the job, in batches. */
export class CollectSinkOperator extends BufferingSinkOperator {
  private buffer: unknown[] = [];

  collect(record: unknown): void {
    this.buffer.push(record);
    this.buffered(this.buffer.length >= COLLECT_BATCH_SIZE);
  }

  protected flushBuffer(): void {
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    this.chain.collect(batch);
  }

  /** Records of a failed attempt are dropped. */
  override close(): void | Promise<void> {
    this.buffer = [];
    return super.close();
  }
}

/**
 * addSink(): a user's Sink. A sink that implements CheckpointedFunction keeps operator state; one
 * that implements CheckpointListener is told when checkpoints complete (where a transactional sink
 * commits).
 */
export class UserSinkOperator extends AbstractStreamOperator {
  private finished = false;

  constructor(private readonly sink: Sink<unknown>) {
    super(NO_OUTPUT);
  }

  protected override get userFunction(): unknown {
    return this.sink;
  }

  override async open(context: OperatorContext): Promise<void> {
    await this.sink.open?.(context.createRuntimeContext());
  }

  collect(record: unknown): void {
    this.sink.invoke(record);
  }

  override async finish(): Promise<void> {
    this.finished = true;
    await this.sink.close?.();
  }

  override async close(): Promise<void> {
    if (!this.finished) await this.sink.dispose?.();
    await super.close();
  }
}
