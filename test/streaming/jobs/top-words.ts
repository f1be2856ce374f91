// The top N words of a text file, written once when the input ends: args [input, output, n].
// Counts per word on a keyed stream, then one subtask keeps the latest count of every word and
// emits the N most frequent in finish(). It also registers a timer an hour ahead for an interim
// list, which a bounded run never reaches: the task logs that it dropped it.
import { ProcessFunction, type Collector, type JobMain, type ProcessContext } from '@eddy/api';

class TopWords extends ProcessFunction<[string, number], string> {
  private readonly counts = new Map<string, number>();
  constructor(private readonly n: number) {
    super();
  }
  processElement([word, count]: [string, number], ctx: ProcessContext): void {
    if (this.counts.size === 0) ctx.timerService().registerProcessingTimeTimer(ctx.timerService().currentProcessingTime() + 3_600_000);
    this.counts.set(word, count);
  }
  override onTimer(_timestamp: number, _ctx: ProcessContext, out: Collector<string>): void {
    out.collect(`interim: ${this.top().join(' ')}`);
  }
  override finish(out: Collector<string>): void {
    this.top().forEach((entry, rank) => out.collect(`${rank + 1}. ${entry}`));
  }
  private top(): string[] {
    return [...this.counts]
      .sort(([a, x], [b, y]) => y - x || a.localeCompare(b))
      .slice(0, this.n)
      .map(([word, count]) => `${word} ${count}`);
  }
}

const main: JobMain = (env, args) => {
  const [input, output, n] = args;
  env.setParallelism(2);
  env
    .readTextFile(input as string)
    .flatMap((line: string) => line.toLowerCase().split(/\W+/).filter((word) => word !== ''))
    .map((word): [string, number] => [word, 1])
    .keyBy(([word]) => word)
    .sum(1)
    .process(new TopWords(Number(n ?? '5')))
    .setParallelism(1)
    .writeAsText(output as string)
    .setParallelism(1);
};
export default main;
