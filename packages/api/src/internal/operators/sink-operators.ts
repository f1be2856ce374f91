import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
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

  override close(): void | Promise<void> {
    this.flush();
  }

  override dispose(): void | Promise<void> {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
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
  override dispose(): void {
    super.dispose();
    try {
      this.flushBuffer();
    } catch {
      // the runtime may already be gone; nothing to report to
    }
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
  override dispose(): void {
    super.dispose();
    this.buffer = [];
  }
}

const FILE_BUFFER_CHARS = 64 * 1024;

/**
 * writeAsText(): one line per record. With parallelism 1 the file is `path`; otherwise `path` is a
 * directory of `part-<subtask>` files. Each file is written under a hidden in-progress name and
 * renamed at close, so it appears only complete; a failed attempt's file is removed by dispose,
 * and a crashed attempt's by the next attempt's open, so restarts never leave duplicates.
 * Writes are synchronous: the task owns its thread, and a sink that blocks is backpressure.
 */
export class TextFileSinkOperator extends AbstractStreamOperator {
  private fd: number | undefined;
  private inProgressPath: string | undefined;
  private finalPath = '';
  private buffer = '';

  constructor(private readonly path: string) {
    super(NO_OUTPUT);
  }

  override open(context: OperatorContext): void {
    const { parallelism, subtaskIndex, attemptNumber } = context.chain;
    this.finalPath = parallelism === 1 ? this.path : join(this.path, `part-${subtaskIndex}`);
    const directory = dirname(this.finalPath);
    mkdirSync(directory, { recursive: true });
    const stalePrefix = `.${basename(this.finalPath)}.inprogress.`;
    for (const name of readdirSync(directory)) {
      if (name.startsWith(stalePrefix)) rmSync(join(directory, name), { force: true });
    }
    this.inProgressPath = join(directory, `${stalePrefix}${attemptNumber}.${randomBytes(4).toString('hex')}`);
    this.fd = openSync(this.inProgressPath, 'w');
  }

  collect(record: unknown): void {
    this.buffer += formatRecord(record) + '\n';
    if (this.buffer.length >= FILE_BUFFER_CHARS) this.writeBuffer();
  }

  override close(): void {
    this.writeBuffer();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    if (this.inProgressPath !== undefined) renameSync(this.inProgressPath, this.finalPath);
    this.inProgressPath = undefined;
  }

  override dispose(): void {
    this.buffer = '';
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed by a failing close(); the file is removed below either way
      }
    }
    this.fd = undefined;
    if (this.inProgressPath !== undefined) rmSync(this.inProgressPath, { force: true });
    this.inProgressPath = undefined;
  }

  private writeBuffer(): void {
    if (this.buffer.length === 0 || this.fd === undefined) return;
    writeSync(this.fd, this.buffer);
    this.buffer = '';
  }
}

/** addSink(): a user's Sink. */
export class UserSinkOperator extends AbstractStreamOperator {
  constructor(private readonly sink: Sink<unknown>) {
    super(NO_OUTPUT);
  }

  override async open(context: OperatorContext): Promise<void> {
    await this.sink.open?.(context.createRuntimeContext());
  }

  collect(record: unknown): void {
    this.sink.invoke(record);
  }

  override async close(): Promise<void> {
    await this.sink.close?.();
  }

  override async dispose(): Promise<void> {
    await this.sink.dispose?.();
  }
}
