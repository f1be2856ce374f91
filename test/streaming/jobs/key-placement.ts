// Which subtask sees each key: args [output, parallelism, keys]. Writes [key, subtask] per record.
import { KeyedProcessFunction, type Collector, type KeyedProcessContext } from '@eddy/api';

class WhereAmI extends KeyedProcessFunction<string, string, [string, number]> {
  processElement(value: string, _ctx: KeyedProcessContext<string>, out: Collector<[string, number]>): void {
    out.collect([value, this.getRuntimeContext().indexOfThisSubtask]);
  }
}

export default function keyPlacement(env: import('@eddy/api').StreamExecutionEnvironment, args: string[]): void {
  const [output, parallelism, keys] = args;
  env.setParallelism(Number(parallelism));
  const values = Array.from({ length: Number(keys) }, (_, i) => `key-${i}`);
  env
    .fromCollection(values)
    .setParallelism(1)
    .keyBy((key) => key)
    .process(new WhereAmI())
    .writeAsText(output as string);
}
