// Numbers from a generator of parallelism 2, keyed to a process function of parallelism 2 and
// printed: args [run, records, recordsPerSecond]. Each printed record names the host (the
// container) whose TaskManager produced it and the one that keyed and printed it, so a line whose
// two hosts differ is a record that crossed from one TaskManager container to the other; `run`
// tells the lines of one run apart in a container's log. A lost TaskManager restarts the job
// (fixed delay, up to 5 times).
import { hostname } from 'node:os';
import { KeyedProcessFunction, ProcessFunction, RestartStrategies, type Collector, type JobMain, type KeyedProcessContext, type ProcessContext } from '@eddy/api';

/** One line of print(), after the `subtask> ` prefix. */
export interface PrintedRecord {
  readonly run: string;
  readonly n: number;
  readonly producedOn: string;
  readonly processedOn: string;
}

type Produced = Omit<PrintedRecord, 'processedOn'>;

class TagWithProducer extends ProcessFunction<number, Produced> {
  private readonly host = hostname();
  constructor(private readonly run: string) {
    super();
  }
  processElement(n: number, _ctx: ProcessContext, out: Collector<Produced>): void {
    out.collect({ run: this.run, n, producedOn: this.host });
  }
}

class TagWithProcessor extends KeyedProcessFunction<number, Produced, PrintedRecord> {
  private readonly host = hostname();
  processElement(value: Produced, _ctx: KeyedProcessContext<number>, out: Collector<PrintedRecord>): void {
    out.collect({ ...value, processedOn: this.host });
  }
}

const main: JobMain = (env, args) => {
  const [run = 'run', records = '1000', recordsPerSecond = '500'] = args;
  env.setParallelism(2);
  env.setRestartStrategy(RestartStrategies.fixedDelayRestart(5, 500));
  env
    .fromGenerator(Number(records), (i) => i, { recordsPerSecond: Number(recordsPerSecond) })
    .process(new TagWithProducer(run))
    .keyBy((record) => record.n % 16)
    .process(new TagWithProcessor())
    .print();
};
export default main;
