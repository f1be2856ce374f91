/**
 * Record codec benchmark: encode + decode records/s of the data plane's serializers, in one thread.
 *
 *   npm run bench:codec      (builds, then runs packages/runtime/dist/bench/record-codec-bench.js)
 *   node packages/runtime/dist/bench/record-codec-bench.js [--records N] [--runs R]
 *
 * Record kinds: WordCount tuples `[word, 1]` (1,000-word vocabulary), text lines (~60 characters),
 * small objects `{ id, name, price, ts }`. Serializers:
 *   msgpackr_sequential      today's former default: msgpackr, record structures learnt along the
 *                            channel (a buffer needs the ones before it)
 *   msgpackr_self_contained  msgpackr with the structures in every buffer
 *   codec                    @eddy/api's record codec (the default now; every buffer self-contained)
 *
 * Records are cut into batches the way a ResultPartitionWriter does: about 32 KiB of encoded
 * records each, from the size of the first records. Each run encodes every batch (the encoder's
 * result is copied, as dataBuffer does), then decodes them all with a fresh decoder. The
 * serializers take turns run by run after a warm-up round, and the median of the runs is reported.
 * Times are the process's CPU time (user + system, garbage collector threads included), not wall
 * time: on a machine shared with other work, waiting for a core is not the codec's cost. Prints ONE
 * JSON object on stdout.
 */
import { CodecRecordBatchSerializer, MsgpackRecordBatchSerializer, type RecordBatchSerializer } from '../src/network/record-batch-serializer.js';

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  const value = at < 0 ? undefined : Number(process.argv[at + 1]);
  return value === undefined || !Number.isFinite(value) ? fallback : value;
}

const RECORDS = argument('--records', 2_000_000);
const RUNS = argument('--runs', 5);
const BUFFER_BYTES = 32 * 1024;

const VOCABULARY = Array.from({ length: 1000 }, (_, i) => `word${i}`);
const LINES = Array.from({ length: 4096 }, (_, i) => {
  const words: string[] = [];
  for (let j = 0; j < 9; j++) words.push(VOCABULARY[(i * 7919 + j * 104729) % VOCABULARY.length] as string);
  return words.join(' ').slice(0, 60);
});

const KINDS: Record<string, (i: number) => unknown> = {
  tuples: (i) => [VOCABULARY[(i * 7919) % VOCABULARY.length], 1],
  lines: (i) => LINES[i % LINES.length],
  objects: (i) => ({ id: i, name: VOCABULARY[i % VOCABULARY.length], price: (i % 10_000) / 100 + 0.01, ts: 1_767_225_600_000 + i }),
};

const SERIALIZERS: Record<string, () => RecordBatchSerializer> = {
  msgpackr_sequential: () => new MsgpackRecordBatchSerializer(),
  msgpackr_self_contained: () => new MsgpackRecordBatchSerializer({ sequential: false }),
  codec: () => new CodecRecordBatchSerializer(),
};

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

interface RunResult {
  readonly encodeMs: number;
  readonly decodeMs: number;
  readonly bytes: number;
}

function batchesOf(records: unknown[], make: () => RecordBatchSerializer): unknown[][] {
  const sample = make().encode(records.slice(0, 100)).byteLength / 100;
  const perBatch = Math.max(1, Math.floor(BUFFER_BYTES / sample));
  const batches: unknown[][] = [];
  for (let i = 0; i < records.length; i += perBatch) batches.push(records.slice(i, i + perBatch));
  return batches;
}

/** Milliseconds of CPU time this process used so far. */
function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function run(batches: unknown[][], make: () => RecordBatchSerializer): RunResult {
  const producer = make();
  const consumer = make();
  const encoded: Uint8Array[] = [];
  let started = cpuMs();
  for (const batch of batches) encoded.push(producer.encode(batch).slice());
  const encodeMs = cpuMs() - started;
  let count = 0;
  started = cpuMs();
  for (const bytes of encoded) count += consumer.decode(bytes).length;
  const decodeMs = cpuMs() - started;
  if (count !== RECORDS) throw new Error(`decoded ${count} records, expected ${RECORDS}`);
  return { encodeMs, decodeMs, bytes: encoded.reduce((sum, bytes) => sum + bytes.byteLength, 0) };
}

const results: Record<string, Record<string, unknown>> = {};
for (const [kind, make] of Object.entries(KINDS)) {
  const records = Array.from({ length: RECORDS }, (_, i) => make(i));
  const names = Object.keys(SERIALIZERS);
  const batches = names.map((name) => batchesOf(records, SERIALIZERS[name]!));
  const runs: RunResult[][] = names.map(() => []);
  // Serializers take turns run by run, so a busy moment of the machine hits them alike.
  for (let round = -1; round < RUNS; round++) {
    names.forEach((name, i) => {
      const result = run(batches[i]!, SERIALIZERS[name]!);
      if (round >= 0) runs[i]!.push(result);
    });
  }
  results[kind] = {};
  names.forEach((name, i) => {
    const perSecond = (ms: number): number => Math.round(RECORDS / (ms / 1000));
    const own = runs[i]!;
    results[kind]![name] = {
      records_per_s: perSecond(median(own.map((r) => r.encodeMs + r.decodeMs))),
      encode_records_per_s: perSecond(median(own.map((r) => r.encodeMs))),
      decode_records_per_s: perSecond(median(own.map((r) => r.decodeMs))),
      bytes_per_record: Math.round(((own[0] as RunResult).bytes / RECORDS) * 100) / 100,
      records_per_batch: batches[i]![0]?.length,
    };
    process.stderr.write(`${kind} ${name}: ${JSON.stringify(results[kind]![name])}\n`);
  });
}
console.log(JSON.stringify({ recordsPerRun: RECORDS, runs: RUNS, node: process.version, results }, null, 2));
