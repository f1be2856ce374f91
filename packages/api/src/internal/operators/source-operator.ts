import type { Source, SourceContext } from '../../source.js';
import { ListStateDescriptor, type ListState } from '../../state.js';
import { isSplitReaderSource, type ReaderSplit } from '../sources/split-reader.js';
import { AbstractStreamOperator, NoOpOutput, type OperatorContext, type OperatorStateInitialization } from './stream-operator.js';

/** The operator state that holds a reader's splits with their positions (Flink's SourceOperator keeps "SourceReaderState"). */
export const SOURCE_SPLITS_STATE = 'source-reader-splits';

/**
 * The head of a source chain (Flink's SourceOperator): runs the source, and checkpoints it. A
 * built-in source keeps its splits and their positions in operator state; a user's source keeps
 * what it wants by implementing CheckpointedFunction, and is told of completed checkpoints by
 * implementing CheckpointListener. A user's source without state starts from its beginning after a
 * restore, as in Flink.
 *
 * It is not an Output: nothing is collected into it; run() pushes records into the chain.
 */
export class SourceOperator extends AbstractStreamOperator {
  private splitsState: ListState<ReaderSplit> | undefined;

  constructor(readonly source: Source<unknown>) {
    super(new NoOpOutput());
  }

  protected override get userFunction(): unknown {
    return this.source;
  }

  collect(_record: unknown): void {
    throw new Error('a source takes no input');
  }

  override async initializeState(context: OperatorContext, state: OperatorStateInitialization): Promise<void> {
    await super.initializeState(context, state);
    const source = this.source;
    if (isSplitReaderSource(source)) {
      this.splitsState = this.operatorStateStore.getListState(new ListStateDescriptor<ReaderSplit>(SOURCE_SPLITS_STATE));
      source.restoreSplits(this.splitsState.get());
    }
  }

  override async open(context: OperatorContext): Promise<void> {
    await this.source.open?.(context.createRuntimeContext());
  }

  run(ctx: SourceContext<unknown>): Promise<void> | void {
    return this.source.run(ctx);
  }

  cancel(): void {
    this.source.cancel?.();
  }

  /** The split ids held and finished, for the JobMaster's enumerator; empty for a user's source. */
  splitIds(): { held: string[]; finished: string[] } {
    const source = this.source;
    if (!isSplitReaderSource(source)) return { held: [], finished: [] };
    const { held, finished } = source.snapshotSplits();
    return { held: held.map((split) => split.id), finished };
  }

  override snapshotState(checkpointId: number, timestamp: number, savepoint = false): ReturnType<AbstractStreamOperator['snapshotState']> {
    const source = this.source;
    if (isSplitReaderSource(source)) this.splitsState?.update(source.snapshotSplits().held);
    return super.snapshotState(checkpointId, timestamp, savepoint);
  }

  override async finish(): Promise<void> {
    await this.source.close?.();
  }
}
