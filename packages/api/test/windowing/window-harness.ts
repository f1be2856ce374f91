import type { DataStream, DataStreamSink, KeyedStateStore, RuntimeContext } from '../../src/index.js';
import { StreamExecutionEnvironment, TRANSFORMATION_GRAPH } from '../../src/stream-execution-environment.js';
import type { OutputTag } from '../../src/output-tag.js';
import { FRESH_START, type Output, type StreamOperator } from '../../src/internal/operators/stream-operator.js';
import type { WindowOperator } from '../../src/internal/operators/window-operator.js';
import type { HeapKeyedStateBackend, KeyedStateBackend } from '../../src/internal/state/keyed-state-backend.js';
import { KeyedStateSnapshot, type RestoredKeyedState } from '../../src/internal/state/keyed-state-snapshot.js';
import { TestingChainContext } from '../fixtures/testing-chain-context.js';
import { createOperatorMetricGroup } from '../../src/internal/user-metrics.js';

/** What the window operator emitted: main records with timestamps, side records per tag, watermarks. */
export class CollectingOutput implements Output {
  readonly records: { value: unknown; timestamp: number }[] = [];
  readonly side = new Map<string, { value: unknown; timestamp: number }[]>();
  readonly watermarks: number[] = [];

  collect(value: unknown, timestamp: number): void {
    this.records.push({ value, timestamp });
  }
  emitWatermark(watermark: number): void {
    this.watermarks.push(watermark);
  }
  emitWatermarkStatus(): void {}
  collectSide(tag: OutputTag<unknown>, value: unknown, timestamp: number): void {
    let list = this.side.get(tag.id);
    if (list === undefined) this.side.set(tag.id, (list = []));
    list.push({ value, timestamp });
  }

  /** The main records emitted so far, taken out. */
  take(): unknown[] {
    return this.records.splice(0).map((r) => r.value);
  }
}

/**
 * One subtask's window operator, in process: the pipeline is built through the public API
 * (`build` gets a source stream and returns the windowed result), the operator made from its
 * transformation, and records and watermarks handed to it directly.
 */
export class WindowHarness {
  readonly output = new CollectingOutput();
  readonly chain = new TestingChainContext();
  readonly failures: unknown[] = [];
  operator!: WindowOperator;

  private constructor(private readonly build: (input: DataStream<unknown>) => object) {}

  static async open<T>(build: (input: DataStream<T>) => object, restored: readonly RestoredKeyedState[] = []): Promise<WindowHarness> {
    const harness = new WindowHarness(build as unknown as (input: DataStream<unknown>) => object);
    await harness.start(restored);
    return harness;
  }

  private async start(restored: readonly RestoredKeyedState[]): Promise<void> {
    const env = new StreamExecutionEnvironment();
    const result = this.build(env.fromElements<unknown>(0));
    (result as unknown as { print(): DataStreamSink<unknown> }).print();
    const window = env[TRANSFORMATION_GRAPH].transformations.find((t) => t.kind === 'window');
    if (window === undefined || window.spec.type !== 'operator') throw new Error('the pipeline has no window operator');
    this.operator = window.spec.createOperator(this.output) as WindowOperator;
    const chain = this.chain;
    const context = {
      chain,
      operatorId: 'window-1',
      operatorName: window.name,
      taskName: window.name,
      failAsync: (error: unknown) => this.failures.push(error),
      createRuntimeContext: (backend?: KeyedStateBackend): RuntimeContext => runtimeContext(chain, backend),
      onEndOfBatch: () => {},
    };
    const operator = this.operator as StreamOperator;
    await operator.initializeState(context, restored.length === 0 ? FRESH_START : { restoredCheckpointId: 1, keyed: restored, operatorState: [] });
    await operator.open(context);
  }

  element(value: unknown, timestamp: number): this {
    this.operator.collect(value, timestamp);
    return this;
  }

  watermark(watermark: number): this {
    this.operator.processWatermark(watermark);
    return this;
  }

  /** The main records emitted so far, taken out. */
  take(): unknown[] {
    return this.output.take();
  }

  get backend(): HeapKeyedStateBackend {
    return this.operator.keyedStateBackend as HeapKeyedStateBackend;
  }

  /** The keyed snapshot as a restore would read it. */
  async snapshot(): Promise<RestoredKeyedState> {
    const taken = this.operator.snapshotState(1, Date.now());
    const keyed = taken?.keyed as KeyedStateSnapshot;
    const chunks: Uint8Array[] = [];
    const result = await keyed.write((chunk) => void chunks.push(chunk), async () => undefined);
    keyed.release();
    return { keyGroupStart: result.keyGroupStart, keyGroupEnd: result.keyGroupEnd, offsets: result.offsets, bytes: Buffer.concat(chunks), where: 'test snapshot' };
  }

  /** End of input as the chain does it: MAX_WATERMARK, then endInput and finish (close() is left to the test, so it can read the state). */
  async end(): Promise<void> {
    this.operator.processWatermark(Number.POSITIVE_INFINITY);
    this.operator.endInput();
    await this.operator.finish();
  }

  /** Entries left in the operator's keyed state, by state name (empty states left out). */
  stateSizes(): Record<string, number> {
    return Object.fromEntries(this.backend.stateTables().filter((t) => t.size > 0).map((t) => [t.name, t.size]));
  }

  async close(): Promise<void> {
    await this.operator.close();
  }
}

/** A RuntimeContext over a testing chain context and, on keyed streams, the operator's backend. */
export function runtimeContext(chain: TestingChainContext, backend: KeyedStateBackend | undefined): RuntimeContext & KeyedStateStore {
  const keyed = (): KeyedStateBackend => {
    if (backend === undefined) throw new Error('no keyed state here');
    return backend;
  };
  return {
    jobId: chain.jobId,
    taskName: 'window',
    indexOfThisSubtask: chain.subtaskIndex,
    numberOfParallelSubtasks: chain.parallelism,
    maxNumberOfParallelSubtasks: chain.maxParallelism,
    attemptNumber: chain.attemptNumber,
    configuration: chain.configuration,
    getMetricGroup: () => createOperatorMetricGroup(undefined, 'window', 'window'),
    getState: (descriptor) => keyed().getValueState(descriptor),
    getListState: (descriptor) => keyed().getListState(descriptor),
    getMapState: (descriptor) => keyed().getMapState(descriptor),
  };
}
