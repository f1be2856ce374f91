/**
 * Names a side output of an operator (Flink's OutputTag): a process function emits to it with
 * `ctx.output(tag, value)`, and `stream.getSideOutput(tag)` is the stream of those values. Two
 * tags are the same side output when their ids are equal. Values emitted to a tag nobody reads are
 * dropped.
 *
 *   const late = new OutputTag<Bid>('late-bids');
 *   const main = bids.process(new SplitLate(late));
 *   main.getSideOutput(late).print();
 */
export class OutputTag<T> {
  declare readonly __type?: T;

  constructor(readonly id: string) {
    if (typeof id !== 'string' || id.length === 0) throw new TypeError('an OutputTag needs a non-empty id string');
  }
}
