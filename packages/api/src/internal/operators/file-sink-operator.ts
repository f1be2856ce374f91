import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { ListStateDescriptor, type ListState } from '../../state.js';
import { formatRecord } from './format-record.js';
import { AbstractStreamOperator, NoOpOutput, type OperatorContext, type OperatorStateInitialization } from './stream-operator.js';
import type { StateInfo } from '../contract.js';
import { OPERATOR_LIST_KIND } from '../state/operator-state-store.js';

const NO_OUTPUT = new NoOpOutput();
const FILE_BUFFER_CHARS = 64 * 1024;

/** A part file written and closed, waiting for the checkpoint that covers it to complete. */
interface PendingPart {
  /** The checkpoint whose snapshot listed it; -1 until a snapshot did (closed at the end of input). */
  checkpointId: number;
  readonly pendingPath: string;
  readonly finalPath: string;
}

interface FileSinkState {
  readonly pending: PendingPart[];
  readonly nextCounter: number;
  /** The subtask that wrote it (absent in state of earlier versions: the subtask restoring it). */
  readonly subtask?: number;
}

/**
 * writeAsText(path): one line per record.
 *
 * With checkpointing on it is Flink's FileSink with row format and a rolling policy of one part
 * file per checkpoint, exactly once: `path` is a directory of `part-<subtask>-<counter>` files.
 *
 *   records ──► .part-<s>-<c>.inprogress.<r>   (hidden, being written)
 *   snapshot N: closed, fsynced, renamed .part-<s>-<c>.pending, listed in the state of N
 *   N completes: renamed part-<s>-<c>            (visible: committed)
 *
 * On a restore from N, the pending parts N lists are committed (renaming again is a no-op when a
 * part already was) and every other hidden file of this subtask is deleted: what was written
 * after N will be written again.
 *
 * The pending parts are a union list, so every subtask of a restore sees what every subtask of N
 * listed, whatever the new parallelism: the parts written by old subtask s are committed, and the
 * other hidden files named after s are deleted, by new subtask s % parallelism alone, and no
 * subtask deletes a part N lists or picks a counter at or below one N lists for it. So a rescaled
 * restore commits each prepared part exactly once. At the end of the input the open part is closed and committed
 * with the final checkpoint, which the job waits for before it finishes.
 *
 * With checkpointing off it is as before: with parallelism 1 `path` is the file, otherwise a
 * directory of `part-<subtask>` files; each is written under a hidden name and renamed when the
 * input ended, and a failed attempt's file is removed.
 *
 * Writes are synchronous: the task owns its thread, and a sink that blocks is backpressure.
 */
/** The part files a subtask has pending or in progress (operator state). */
const FILE_SINK_STATE = 'file-sink-pending';

export class FileSinkOperator extends AbstractStreamOperator {
  private exactlyOnce = false;
  private directory = '';
  private subtask = 0;
  private attempt = 0;
  private fd: number | undefined;
  private inProgressPath: string | undefined;
  private buffer = '';
  private counter = 0;
  private pending: PendingPart[] = [];
  private state: ListState<FileSinkState> | undefined;
  /** Without checkpointing: the one output file of this subtask. */
  private legacyFinalPath = '';

  constructor(private readonly path: string) {
    super(NO_OUTPUT);
  }

  protected override internalStates(): StateInfo[] {
    return [{ name: FILE_SINK_STATE, kind: OPERATOR_LIST_KIND }];
  }

  override initializeState(context: OperatorContext, initialization: OperatorStateInitialization): void | Promise<void> {
    const result = super.initializeState(context, initialization);
    const { parallelism, subtaskIndex, attemptNumber, checkpointingEnabled } = context.chain;
    this.subtask = subtaskIndex;
    this.attempt = attemptNumber;
    this.exactlyOnce = checkpointingEnabled;
    if (!this.exactlyOnce) {
      this.legacyFinalPath = parallelism === 1 ? this.path : join(this.path, `part-${subtaskIndex}`);
      this.directory = dirname(this.legacyFinalPath);
      mkdirSync(this.directory, { recursive: true });
      removeHidden(this.directory, `.${basename(this.legacyFinalPath)}.inprogress.`, new Set());
      return result;
    }
    this.directory = this.path;
    mkdirSync(this.directory, { recursive: true });
    this.state = this.operatorStateStore.getUnionListState(new ListStateDescriptor<FileSinkState>(FILE_SINK_STATE));
    const restored = this.state.get();
    const keep = new Set<string>();
    for (const entry of restored) for (const part of entry.pending) keep.add(basename(part.pendingPath));
    const writers = new Set<number>([subtaskIndex]);
    let nextCounter = 0;
    for (const entry of restored) {
      const writer = entry.subtask ?? subtaskIndex;
      if (writer % parallelism !== subtaskIndex) continue;
      writers.add(writer);
      if (writer === subtaskIndex) nextCounter = Math.max(nextCounter, entry.nextCounter);
      for (const part of entry.pending) commitPart(part);
    }
    // Anything hidden of these writers that the restored checkpoint does not list was written after it.
    for (const writer of writers) removeHidden(this.directory, `.part-${writer}-`, keep);
    this.counter = Math.max(nextCounter, firstFreeCounter(this.directory, subtaskIndex, keep));
    return result;
  }

  override open(_context: OperatorContext): void {
    if (!this.exactlyOnce) {
      this.inProgressPath = join(this.directory, `.${basename(this.legacyFinalPath)}.inprogress.${this.attempt}.${randomBytes(4).toString('hex')}`);
      this.fd = openSync(this.inProgressPath, 'w');
    }
  }

  collect(record: unknown): void {
    this.buffer += formatRecord(record) + '\n';
    if (this.buffer.length >= FILE_BUFFER_CHARS) this.writeBuffer();
  }

  override snapshotState(checkpointId: number, timestamp: number, savepoint = false): ReturnType<AbstractStreamOperator['snapshotState']> {
    if (this.exactlyOnce) {
      this.rollPart();
      for (const part of this.pending) if (part.checkpointId < 0) part.checkpointId = checkpointId;
      this.state?.update([{ pending: this.pending.map((part) => ({ ...part })), nextCounter: this.counter, subtask: this.subtask }]);
    }
    return super.snapshotState(checkpointId, timestamp, savepoint);
  }

  override notifyCheckpointComplete(checkpointId: number): void | Promise<void> {
    const still: PendingPart[] = [];
    for (const part of this.pending) {
      if (part.checkpointId >= 0 && part.checkpointId <= checkpointId) commitPart(part);
      else still.push(part);
    }
    this.pending = still;
    return super.notifyCheckpointComplete(checkpointId);
  }

  override finish(): void {
    if (this.exactlyOnce) {
      // Committed with the final checkpoint, which the task waits for.
      this.rollPart();
      return;
    }
    this.writeBuffer();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    if (this.inProgressPath !== undefined) renameSync(this.inProgressPath, this.legacyFinalPath);
    this.inProgressPath = undefined;
  }

  override close(): void {
    this.buffer = '';
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        // already closed by a failing finish(); the file is removed below either way
      }
    }
    this.fd = undefined;
    // Without checkpointing a failed attempt's file goes; with it, the next restore cleans up.
    if (!this.exactlyOnce && this.inProgressPath !== undefined) rmSync(this.inProgressPath, { force: true });
    this.inProgressPath = undefined;
    super.close();
  }

  /** Closes the open part (if it holds anything) and makes it pending. */
  private rollPart(): void {
    if (this.fd === undefined && this.buffer.length === 0) return;
    if (this.fd === undefined) this.openPart();
    this.writeBuffer();
    const fd = this.fd as number;
    fsyncSync(fd);
    closeSync(fd);
    this.fd = undefined;
    const inProgress = this.inProgressPath as string;
    this.inProgressPath = undefined;
    const name = `part-${this.subtask}-${this.counter++}`;
    const pendingPath = join(this.directory, `.${name}.pending`);
    renameSync(inProgress, pendingPath);
    this.pending.push({ checkpointId: -1, pendingPath, finalPath: join(this.directory, name) });
  }

  private openPart(): void {
    this.inProgressPath = join(this.directory, `.part-${this.subtask}-${this.counter}.inprogress.${randomBytes(4).toString('hex')}`);
    this.fd = openSync(this.inProgressPath, 'w');
  }

  private writeBuffer(): void {
    if (this.buffer.length === 0) return;
    if (this.fd === undefined) {
      if (!this.exactlyOnce) return;
      this.openPart();
    }
    writeSync(this.fd as number, this.buffer);
    this.buffer = '';
  }
}

/** Makes a pending part visible; a part whose pending file is gone and whose final file exists was committed already. */
function commitPart(part: PendingPart): void {
  try {
    renameSync(part.pendingPath, part.finalPath);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && existsSync(part.finalPath)) return;
    throw new Error(`writeAsText could not commit ${part.finalPath} from ${part.pendingPath}: ${(error as Error).message}`, { cause: error });
  }
}

function removeHidden(directory: string, prefix: string, keep: ReadonlySet<string>): void {
  for (const name of readdirSync(directory)) {
    if (name.startsWith(prefix) && !keep.has(name)) rmSync(join(directory, name), { force: true });
  }
}

/**
 * One past the highest counter of this subtask's committed parts and of the pending parts a
 * restored checkpoint lists for it (another subtask may be committing those), so a new run never
 * overwrites them.
 */
function firstFreeCounter(directory: string, subtask: number, pending: ReadonlySet<string>): number {
  const prefix = `part-${subtask}-`;
  let next = 0;
  const consider = (counter: number): void => {
    if (Number.isInteger(counter) && counter >= next) next = counter + 1;
  };
  for (const name of readdirSync(directory)) if (name.startsWith(prefix)) consider(Number(name.slice(prefix.length)));
  for (const name of pending) if (name.startsWith(`.${prefix}`) && name.endsWith('.pending')) consider(Number(name.slice(prefix.length + 1, -'.pending'.length)));
  return next;
}
