/**
 * The reading side of Eddy's built-in sources (FLIP-27's SourceReader, simplified): a reader asks
 * the JobMaster's SplitEnumerator for a split, reads it to its end, marks it finished and asks for
 * the next one, until none are left.
 *
 * Checkpointed: the reader's snapshot holds the splits it has with the position of the next
 * record in each (its operator state) and the ids of the splits it finished since it started (so
 * the JobMaster does not hand them out again after a restore). A snapshot is taken between two
 * awaits of run(), and a reader moves a split's position right after each record it collected, so
 * the snapshot always matches the records emitted.
 */
import type { Source, SourceContext } from '../../source.js';
import type { InputSplitAssignment } from '../contract.js';
import type { SplitAwareSourceContext } from './source-context.js';

/** A split a reader holds, and where in it the next record is (the meaning of position is the source's). */
export interface ReaderSplit {
  readonly id: string;
  readonly split: string;
  position: number;
}

export abstract class SplitReaderSource implements Source<unknown> {
  private held: ReaderSplit[] = [];
  private readonly finished: string[] = [];

  constructor(private readonly nextInputSplit: () => Promise<InputSplitAssignment | undefined>) {}

  async run(ctx: SourceContext<unknown>): Promise<void> {
    for (;;) {
      if (ctx.isCanceled) return;
      let current = this.held[0];
      if (current === undefined) {
        const next = await this.nextInputSplit();
        if (next === undefined || ctx.isCanceled) return;
        current = { id: next.id, split: next.split, position: this.initialPosition(next.split) };
        this.held.push(current);
      }
      const splits = ctx as Partial<SplitAwareSourceContext>;
      splits.startSplit?.(current.id);
      const ended = await this.readSplit(current, ctx);
      if (ctx.isCanceled) return;
      if (ended === false) {
        // A split without end gave the other held splits a turn.
        this.held.push(this.held.shift() as ReaderSplit);
        continue;
      }
      splits.finishSplit?.(current.id);
      this.held.shift();
      this.finished.push(current.id);
    }
  }

  /** Where reading a fresh split starts. */
  protected abstract initialPosition(split: string): number;

  /**
   * Emits the records of `split` from `split.position` on, moving the position after each record;
   * returns at the end of the split, or when the task is canceled. A split without end returns
   * false now and then while the reader holds other splits (heldSplitCount > 1, after a restore at
   * a lower parallelism), so each of them is read in turn, none starved.
   */
  protected abstract readSplit(split: ReaderSplit, ctx: SourceContext<unknown>): Promise<void | boolean>;

  /** How many splits the reader holds, the one being read included. */
  protected get heldSplitCount(): number {
    return this.held.length;
  }

  /** A copy of the held splits with their positions, and the ids finished so far. */
  snapshotSplits(): { held: ReaderSplit[]; finished: string[] } {
    return { held: this.held.map((split) => ({ ...split })), finished: [...this.finished] };
  }

  /** Before run(): the splits this reader held at the checkpoint it restarts from. */
  restoreSplits(held: readonly ReaderSplit[]): void {
    this.held = held.map((split) => ({ ...split }));
  }
}

export function isSplitReaderSource(source: unknown): source is SplitReaderSource {
  return source instanceof SplitReaderSource;
}

/** Parses a split's JSON, with the source named when it is not what the source wrote. */
export function parseSplit<T>(json: string, source: string): T {
  try {
    return JSON.parse(json) as T;
  } catch (error) {
    throw new Error(`${source} got a split it cannot read (${json.slice(0, 80)}): ${(error as Error).message}`);
  }
}
