/**
 * Many keys, few of them updated: for incremental checkpoints. The first `keys / 1000` generated
 * numbers each expand to 1,000 keys (every key counted once, with a `padding`-character value);
 * after that each number i updates one of `hot` keys spread over the key space, and its running
 * count is appended to `<output>/subtask-<n>` as "<i> <count> <attempt>" (written at once, so a
 * killed process loses nothing). The count of update i is floor(i / hot) + 2, after any restore.
 * Args: keys hot rate outputDir checkpointDir [intervalMs] [padding]
 */
import { KeyedProcessFunction, ValueStateDescriptor, type Collector, type JobMain, type KeyedProcessContext, type ValueState } from '@eddy/api';
import { AppendingSink } from './appending-sink.js';

const CHUNK = 1000;

class Counter extends KeyedProcessFunction<number, [number, number], [number, number]> {
  private state!: ValueState<{ count: number; padding: string }>;
  constructor(private readonly padding: number) {
    super();
  }
  override open(): void {
    this.state = this.getRuntimeContext().getState(new ValueStateDescriptor<{ count: number; padding: string }>('count'));
  }
  processElement([, update]: [number, number], _ctx: KeyedProcessContext<number>, out: Collector<[number, number]>): void {
    const current = this.state.value();
    const count = (current?.count ?? 0) + 1;
    this.state.update({ count, padding: current?.padding ?? 'x'.repeat(this.padding) });
    if (update >= 0) out.collect([update, count]);
  }
}

const main: JobMain = (env, args) => {
  const [keys = '20000', hot = '100', rate = '200', output = 'out', checkpoints = 'chk', interval = '300', padding = '200'] = args;
  const fill = Math.ceil(Number(keys) / CHUNK);
  const hotKeys = Number(hot);
  const stride = Math.floor(Number(keys) / hotKeys);
  env.setParallelism(2);
  env.enableCheckpointing(Number(interval));
  env.getCheckpointConfig().setCheckpointStorage(checkpoints);
  env
    .fromGenerator(Number.POSITIVE_INFINITY, (i) => i, { recordsPerSecond: Number(rate) })
    .setParallelism(1)
    .uid('numbers')
    .flatMap((i: number, out: Collector<[number, number]>) => {
      if (i < fill) for (let key = i * CHUNK; key < (i + 1) * CHUNK; key++) out.collect([key, -1]);
      else out.collect([((i - fill) % hotKeys) * stride, i - fill]);
    })
    .setParallelism(1)
    .uid('expand')
    .keyBy(([key]) => key)
    .process(new Counter(Number(padding)))
    .uid('counter')
    .addSink(new AppendingSink(output))
    .uid('appender');
};
export default main;
