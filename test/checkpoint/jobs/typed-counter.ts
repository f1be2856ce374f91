/**
 * An endless generator over `keys` keys (index i has key i % keys) at `rate` records per second,
 * counted per key in a typed ValueState of an object, the running counts written exactly once with
 * writeAsText as [key, count, variant]. The variant picks the state's type, as three versions of
 * the job's code would:
 *   v1  { count: NUMBER }
 *   v2  { count: NUMBER, note?: STRING }   gained an optional field: restores v1's state
 *   v3  { count: STRING }                  changed a field's type: cannot restore v1's or v2's
 *   v2-broken  v2's state, but its counter fails in open(), with no restarts: code that fits the
 *              state and still does not start
 * Args: variant keys rate outputDir checkpointDir [intervalMs]
 */
import { KeyedProcessFunction, RestartStrategies, Types, ValueStateDescriptor, type Collector, type JobMain, type KeyedProcessContext, type ValueState } from '@eddy/api';

const TYPES = {
  v1: Types.OBJECT({ count: Types.NUMBER }),
  v2: Types.OBJECT({ count: Types.NUMBER, note: Types.OPTIONAL(Types.STRING) }),
  v3: Types.OBJECT({ count: Types.STRING }),
  'v2-broken': Types.OBJECT({ count: Types.NUMBER, note: Types.OPTIONAL(Types.STRING) }),
};
type Variant = keyof typeof TYPES;

class Counter extends KeyedProcessFunction<string, number, [string, number, string]> {
  /** A field, so the job's plan declares the state with its type. */
  readonly countDescriptor: ValueStateDescriptor<{ count: number | string; note?: string }>;
  private count!: ValueState<{ count: number | string; note?: string }>;

  constructor(
    private readonly variant: Variant,
    private readonly keys: number,
  ) {
    super();
    this.countDescriptor = new ValueStateDescriptor<{ count: number | string; note?: string }>('count', TYPES[variant] as never);
  }

  override open(): void {
    if (this.variant === 'v2-broken') throw new Error('v2-broken cannot open its counter');
    this.count = this.getRuntimeContext().getState(this.countDescriptor);
  }

  processElement(index: number, _ctx: KeyedProcessContext<string>, out: Collector<[string, number, string]>): void {
    const next = Number(this.count.value()?.count ?? 0) + 1;
    if (this.variant === 'v3') this.count.update({ count: String(next) });
    else if (this.variant === 'v2') this.count.update({ count: next, note: 'v2' });
    else this.count.update({ count: next });
    out.collect([`k${index % this.keys}`, next, this.variant]);
  }
}

const main: JobMain = (env, args) => {
  const [variant = 'v1', keys = '5', rate = '300', output = 'out', checkpoints = 'chk', interval = '150'] = args;
  if (!(variant in TYPES)) throw new Error(`variant must be v1, v2, v3 or v2-broken, got ${variant}`);
  if (variant === 'v2-broken') env.setRestartStrategy(RestartStrategies.noRestart());
  env.enableCheckpointing(Number(interval)).getCheckpointConfig().setCheckpointStorage(checkpoints);
  const numbers = env.fromGenerator(Number.POSITIVE_INFINITY, (i) => i, { recordsPerSecond: Number(rate) }).setParallelism(1).uid('numbers');
  const counts = numbers
    .keyBy((i: number) => `k${i % Number(keys)}`)
    .process(new Counter(variant as Variant, Number(keys)))
    .setParallelism(2)
    .uid('counter');
  counts.writeAsText(output).setParallelism(2).uid('committer');
};
export default main;
