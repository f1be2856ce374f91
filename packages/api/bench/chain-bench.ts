/**
 * WordCount through task chains in one thread, against a plain loop doing the same counting, in
 * the same run. Run: npx tsc -b packages/api && node packages/api/dist/bench/chain-bench.js
 *
 *   plain loop        split lines, count words in a Map
 *   one task          the same as a chain of operators in one task: flatMap (split) -> sink that
 *                     counts in a Map; records pass as plain calls
 *   keyBy, two tasks  the real WordCount: flatMap task (split, keyBy output hashing each word to
 *                     one of 2 subtasks by key group) hands batches of 1,000 records straight to
 *                     the two subtasks of the keyed task (running sum per word, then a sink),
 *                     i.e. the data plane minus serialization and threads
 */
import type { Collector, JobMain } from '../src/index.js';
import { buildPlan, createTaskChain } from '../src/internal/bundle-entry-points.js';
import type { ChainContext, ChainOutput, TaskChain } from '../src/internal/contract.js';

const LINES = 200_000;
const WORDS_PER_LINE = 6;
const VOCABULARY = 5_000;
const ROUNDS = 7;

function makeLines(): string[] {
  const vocabulary = Array.from({ length: VOCABULARY }, (_, i) => `w${(i * 2654435761) % 1_000_003}`);
  let seed = 42;
  const next = (): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
    return seed;
  };
  return Array.from({ length: LINES }, () => Array.from({ length: WORDS_PER_LINE }, () => vocabulary[next() % VOCABULARY]).join(' '));
}

const splitWords = (line: string, out: Collector<[string, number]>): void => {
  const words = line.split(' ');
  for (let i = 0; i < words.length; i++) out.collect([words[i] as string, 1]);
};

let sinkCount = 0;
const keyedWordCount: JobMain = (env) => {
  env.setParallelism(2);
  env
    .fromElements<string>()
    .rebalance()
    .flatMap(splitWords)
    .setParallelism(1)
    .keyBy((pair) => pair[0])
    .sum(1)
    .addSink({
      invoke: () => {
        sinkCount++;
      },
    });
};

let counts = new Map<string, number>();
const chainedWordCount: JobMain = (env) => {
  env
    .fromElements<string>()
    .rebalance()
    .flatMap(splitWords)
    .addSink({
      invoke: (pair) => {
        counts.set(pair[0], (counts.get(pair[0]) ?? 0) + pair[1]);
      },
    });
};

/** Batches each channel's records and hands every full batch to that channel's task, as the data plane would. */
class DirectOutput implements ChainOutput {
  readonly numberOfChannels: number;
  private readonly batches: unknown[][];
  constructor(
    readonly target: string,
    private readonly consumers: TaskChain[],
  ) {
    this.numberOfChannels = consumers.length;
    this.batches = consumers.map(() => []);
  }
  emitWatermark(): void {}
  emitWatermarkStatus(): void {}
  emit(record: unknown, channel: number): void {
    const batch = this.batches[channel] as unknown[];
    batch.push(record);
    if (batch.length === 1000) this.flushChannel(channel);
  }
  broadcastEmit(record: unknown): void {
    for (let channel = 0; channel < this.numberOfChannels; channel++) this.emit(record, channel);
  }
  flush(): void {
    for (let channel = 0; channel < this.numberOfChannels; channel++) this.flushChannel(channel);
  }
  private flushChannel(channel: number): void {
    const batch = this.batches[channel] as unknown[];
    if (batch.length === 0) return;
    this.batches[channel] = [];
    (this.consumers[channel] as TaskChain).processBatch(0, batch);
  }
}

function context(subtaskIndex: number, parallelism: number, outputs: ChainOutput[]): ChainContext {
  return {
    jobId: 'bench',
    subtaskIndex,
    parallelism,
    maxParallelism: 128,
    attemptNumber: 0,
    configuration: {},
    outputs,
    targets: outputs.map((o) => ({ parallelism: o.numberOfChannels, maxParallelism: 128 })),
    signal: new AbortController().signal,
    nextInputSplit: async () => undefined,
    checkpointingEnabled: false,
    isBackPressured: () => false,
    waitForOutputs: async () => {},
    writeStdout: () => {},
    collect: () => {},
    log: () => {},
  };
}

type Runner = (lines: string[]) => number;

function timed(lines: string[], body: () => void, check: () => void): number {
  const started = process.hrtime.bigint();
  body();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  check();
  return lines.length / seconds;
}

/** Builds the tasks once (as workers do) and returns a function that runs the lines through them. */
async function keyedRunner(): Promise<Runner> {
  const plan = await buildPlan(keyedWordCount, []);
  const [, splitVertex, countVertex] = plan.vertices;
  if (splitVertex === undefined || countVertex?.parallelism !== 2) throw new Error(`unexpected plan: ${plan.vertices.map((v) => v.name).join(' | ')}`);
  const counters = [
    await createTaskChain(keyedWordCount, [], countVertex.id, context(0, 2, [])),
    await createTaskChain(keyedWordCount, [], countVertex.id, context(1, 2, [])),
  ];
  const output = new DirectOutput(countVertex.id, counters);
  const splitter = await createTaskChain(keyedWordCount, [], splitVertex.id, context(0, 1, [output]));
  for (const chain of [...counters, splitter]) await chain.open();
  return (lines) => {
    sinkCount = 0;
    return timed(
      lines,
      () => {
        for (let i = 0; i < lines.length; i += 1000) splitter.processBatch(0, lines.slice(i, i + 1000));
        output.flush();
      },
      () => {
        if (sinkCount !== lines.length * WORDS_PER_LINE) throw new Error(`the sink saw ${sinkCount} records`);
      },
    );
  };
}

async function chainedRunner(): Promise<Runner> {
  const plan = await buildPlan(chainedWordCount, []);
  const [, vertex] = plan.vertices;
  if (vertex?.name !== 'Flat Map -> Sink: Unnamed') throw new Error(`unexpected plan: ${plan.vertices.map((v) => v.name).join(' | ')}`);
  const chain = await createTaskChain(chainedWordCount, [], vertex.id, context(0, 1, []));
  await chain.open();
  return (lines) => {
    counts = new Map();
    return timed(
      lines,
      () => {
        for (let i = 0; i < lines.length; i += 1000) chain.processBatch(0, lines.slice(i, i + 1000));
      },
      () => checkTotal(counts),
    );
  };
}

function checkTotal(map: Map<string, number>): void {
  let total = 0;
  for (const c of map.values()) total += c;
  if (total !== LINES * WORDS_PER_LINE) throw new Error(`counted ${total} words`);
}

const loopRunner: Runner = (lines) => {
  const loopCounts = new Map<string, number>();
  return timed(
    lines,
    () => {
      for (let i = 0; i < lines.length; i += 1000) {
        const batch = lines.slice(i, i + 1000);
        for (let j = 0; j < batch.length; j++) {
          const words = (batch[j] as string).split(' ');
          for (let k = 0; k < words.length; k++) {
            const word = words[k] as string;
            loopCounts.set(word, (loopCounts.get(word) ?? 0) + 1);
          }
        }
      }
    },
    () => checkTotal(loopCounts),
  );
};

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const format = (linesPerSecond: number): string =>
  `${(linesPerSecond / 1e6).toFixed(2)} M lines/s (${((linesPerSecond * WORDS_PER_LINE) / 1e6).toFixed(2)} M words/s)`;

const lines = makeLines();
const runners: [string, Runner][] = [
  ['plain loop', loopRunner],
  ['one task', await chainedRunner()],
  ['keyBy, two tasks', await keyedRunner()],
];
for (const [, run] of runners) run(lines); // warm-up
const results = runners.map(() => [] as number[]);
for (let round = 0; round < ROUNDS; round++) runners.forEach(([, run], i) => results[i]?.push(run(lines)));
const loop = median(results[0] as number[]);
console.log(`WordCount, ${LINES} lines of ${WORDS_PER_LINE} words, ${VOCABULARY} distinct words, medians of ${ROUNDS} rounds`);
runners.forEach(([name], i) => {
  const rate = median(results[i] as number[]);
  console.log(`  ${name.padEnd(17)} ${format(rate)}${i === 0 ? '' : `  loop/chain ${(loop / rate).toFixed(2)}x`}`);
});
