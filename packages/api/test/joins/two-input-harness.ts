import type { DataStream, DataStreamSink, RuntimeContext } from '../../src/index.js';
import { StreamExecutionEnvironment, TRANSFORMATION_GRAPH } from '../../src/stream-execution-environment.js';
import { FRESH_START, type StreamOperator } from '../../src/internal/operators/stream-operator.js';
import type { AbstractTwoInputStreamOperator } from '../../src/internal/operators/two-input-operator.js';
import type { HeapKeyedStateBackend, KeyedStateBackend } from '../../src/internal/state/keyed-state-backend.js';
import type { KeyedStateSnapshot, RestoredKeyedState } from '../../src/internal/state/keyed-state-snapshot.js';
import type { RestoredOperatorState } from '../../src/internal/state/operator-state-store.js';
import { CollectingOutput, runtimeContext } from '../windowing/window-harness.js';
import { TestingChainContext, type TestingChainContextOptions } from '../fixtures/testing-chain-context.js';

export interface TwoInputRestore {
  readonly keyed?: readonly RestoredKeyedState[];
  readonly operatorState?: readonly RestoredOperatorState[];
}

/**
 * One subtask's two-input operator, in process: the pipeline is built through the public API
 * (`build` gets two source streams and returns the two-input operator's stream), the operator made
 * from its transformation, and records, watermarks and statuses handed to its inputs directly.
 */
export class TwoInputHarness {
  readonly output = new CollectingOutput();
  readonly chain: TestingChainContext;
  readonly failures: unknown[] = [];
  operator!: AbstractTwoInputStreamOperator;

  private constructor(options: TestingChainContextOptions) {
    this.chain = new TestingChainContext(options);
  }

  static async open<A, B>(build: (a: DataStream<A>, b: DataStream<B>) => object, restore: TwoInputRestore = {}, options: TestingChainContextOptions = {}): Promise<TwoInputHarness> {
    const harness = new TwoInputHarness(options);
    const env = new StreamExecutionEnvironment();
    const result = build(env.fromElements<A>(undefined as A), env.fromElements<B>(undefined as B));
    (result as unknown as { print(): DataStreamSink<unknown> }).print();
    const t = env[TRANSFORMATION_GRAPH].transformations.find((candidate) => candidate.spec.type === 'operator' && candidate.spec.twoInput === true);
    if (t === undefined || t.spec.type !== 'operator') throw new Error('the pipeline has no two-input operator');
    harness.operator = t.spec.createOperator(harness.output) as AbstractTwoInputStreamOperator;
    const chain = harness.chain;
    const context = {
      chain,
      operatorId: 'two-input-1',
      operatorName: t.name,
      taskName: t.name,
      failAsync: (error: unknown) => harness.failures.push(error),
      createRuntimeContext: (backend?: KeyedStateBackend): RuntimeContext => runtimeContext(chain, backend),
      onEndOfBatch: () => {},
    };
    const operator = harness.operator as StreamOperator;
    const restored = restore.keyed !== undefined || restore.operatorState !== undefined;
    await operator.initializeState(context, restored ? { restoredCheckpointId: 1, keyed: restore.keyed ?? [], operatorState: restore.operatorState ?? [] } : FRESH_START);
    await operator.open(context);
    return harness;
  }

  element1(value: unknown, timestamp = Number.NEGATIVE_INFINITY): this {
    this.operator.inputs[0].collect(value, timestamp);
    return this;
  }

  element2(value: unknown, timestamp = Number.NEGATIVE_INFINITY): this {
    this.operator.inputs[1].collect(value, timestamp);
    return this;
  }

  watermark1(watermark: number): this {
    this.operator.inputs[0].emitWatermark(watermark);
    return this;
  }

  watermark2(watermark: number): this {
    this.operator.inputs[1].emitWatermark(watermark);
    return this;
  }

  /** The main records emitted so far, taken out. */
  take(): unknown[] {
    return this.output.take();
  }

  get backend(): HeapKeyedStateBackend {
    return (this.operator as unknown as { keyedStateBackend: HeapKeyedStateBackend }).keyedStateBackend;
  }

  /** The operator's snapshot as a restore would read it. */
  async snapshot(): Promise<{ keyed: RestoredKeyedState[]; operatorState: RestoredOperatorState[] }> {
    const taken = this.operator.snapshotState(1, Date.now());
    const keyed: RestoredKeyedState[] = [];
    if (taken?.keyed !== undefined) {
      const snapshot = taken.keyed as KeyedStateSnapshot;
      const chunks: Uint8Array[] = [];
      const result = await snapshot.write((chunk) => void chunks.push(chunk), async () => undefined);
      snapshot.release();
      keyed.push({ keyGroupStart: result.keyGroupStart, keyGroupEnd: result.keyGroupEnd, offsets: result.offsets, bytes: Buffer.concat(chunks), where: 'test snapshot' });
    }
    const operatorState = taken?.operatorState === undefined ? [] : [{ bytes: taken.operatorState.bytes, states: taken.operatorState.states, where: 'test snapshot' }];
    return { keyed, operatorState };
  }

  /** End of input as the chain does it: each input ends (after its MAX watermark), then endInput and finish. */
  async end(): Promise<void> {
    this.operator.inputs[0].emitWatermark(Number.POSITIVE_INFINITY);
    this.operator.endInputOf(0);
    this.operator.inputs[1].emitWatermark(Number.POSITIVE_INFINITY);
    this.operator.endInputOf(1);
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
