import type { RuntimeContext } from './process-function.js';

/**
 * A user sink (Flink's RichSinkFunction). invoke() is called for every record, synchronously on
 * the task's thread: buffer and write in batches from it rather than starting a promise per record.
 * close() runs after the last record of a successful run; dispose() after a failure or cancel.
 */
export interface Sink<T> {
  open?(context: RuntimeContext): void | Promise<void>;
  invoke(value: T): void;
  close?(): void | Promise<void>;
  dispose?(): void | Promise<void>;
}
