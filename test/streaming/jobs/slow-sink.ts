// A fast source into a deliberately slow sink: args [records, work]. The sink burns CPU per record
// (`work` rounds, default 60), so the source must be held back by credit-based backpressure and
// memory stays flat. Records 'Infinity' runs until canceled.
import type { JobMain, Sink } from '@eddy/api';

/** 256 characters: a record serializes to about 270 bytes, so 3 M of them queued would hold about 800 MB. */
const PAYLOAD = 'x'.repeat(256);

class SlowSink implements Sink<{ id: number; payload: string }> {
  private checksum = 0;
  constructor(private readonly work: number) {}
  invoke(value: { id: number; payload: string }): void {
    // At 60 rounds about 3-4x the work of producing a record: a slow consumer, not a stalled one.
    let h = value.id;
    for (let i = 0; i < this.work; i++) h = (h * 31 + i) | 0;
    this.checksum ^= h;
  }
}

const main: JobMain = (env, args) => {
  const records = Number(args[0] ?? '2000000');
  env.setParallelism(1);
  env
    .fromGenerator(records, (id) => ({ id, payload: PAYLOAD }))
    .slotSharingGroup('source')
    .rebalance()
    .addSink(new SlowSink(Number(args[1] ?? '60')))
    .slotSharingGroup('sink');
};
export default main;
