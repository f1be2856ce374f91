/**
 * An endless generator over `keys` keys (index i has key i % keys) at `rate` records per second,
 * counted per key in keyed ValueState, every count written with its index and attempt by a sink
 * that appends to `<output>/subtask-<n>` (written at once, so a killed process loses nothing).
 * With exactly-once state the count of index i is always floor(i / keys) + 1, after any restore.
 * Args: keys rate outputDir checkpointDir [intervalMs]
 */
import { KeyedProcessFunction, ValueStateDescriptor, type Collector, type JobMain, type KeyedProcessContext, type ValueState } from '@eddy/api';
import { AppendingSink } from './appending-sink.js';

class Counter extends KeyedProcessFunction<number, number, [number, number, number]> {
  private count!: ValueState<number>;
  override open(): void {
    this.count = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('count'));
  }
  processElement(index: number, _ctx: KeyedProcessContext<number>, out: Collector<[number, number, number]>): void {
    const next = (this.count.value() ?? 0) + 1;
    this.count.update(next);
    out.collect([index, next, 0]);
  }
}

const main: JobMain = (env, args) => {
  const [keys = '5', rate = '500', output = 'out', checkpoints = 'chk', interval = '200'] = args;
  const keyCount = Number(keys);
  env.enableCheckpointing(Number(interval));
  env.getCheckpointConfig().setCheckpointStorage(checkpoints);
  env
    .fromGenerator(Number.POSITIVE_INFINITY, (i) => i, { recordsPerSecond: Number(rate) })
    .setParallelism(1)
    .uid('numbers')
    .keyBy((i: number) => i % keyCount)
    .process(new Counter())
    .setParallelism(2)
    .uid('counter')
    .addSink(new AppendingSink(output))
    .setParallelism(2)
    .uid('appender');
};
export default main;
