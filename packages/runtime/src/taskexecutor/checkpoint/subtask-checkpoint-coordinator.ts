/**
 * SubtaskCheckpointCoordinator: one task's part of every checkpoint (Flink's
 * SubtaskCheckpointCoordinatorImpl), inside the task's worker thread.
 *
 * checkpoint(barrier), when the JobMaster triggered a source task or barrier N aligned on every
 * input of another task:
 *   1. synchronous, on the task's thread, between two records: operators send on what they
 *      buffer, every operator's state is frozen (copy-on-write, O(1) per keyed state), barrier N
 *      goes out on every output after the records before it;
 *   2. asynchronous: the frozen state is serialized in slices that leave the event loop free for
 *      records, small pieces inline (state.storage.fs.memory-threshold), larger ones to files in
 *      `<job dir>/chk-<n>/` (a local directory or S3, see checkpoint/filesystem/); then the task
 *      acknowledges N with the handles, or declines it with the path and the cause.
 *
 * Incremental checkpoints (execution.checkpointing.incremental): a keyed backend that can (lmdb)
 * writes a change log of what changed since the base, the task's last completed checkpoint, and
 * the operator's handles are the base's chain (a full snapshot, then change logs, oldest first)
 * plus the new log; a restore applies them in order. The base switches on notifyCheckpointComplete
 * before the operators hear of it, so an operator's idea of the base is never newer than this
 * one's (an older one only makes its log longer). The first checkpoint of every task attempt is
 * full, and so is one whose chain would get longer than MAX_CHANGE_LOGS logs or whose logs would
 * hold more bytes than the full snapshot (Flink's materialization). A savepoint (the barrier says so)
 * is always full and never the base of a later checkpoint.
 *
 * It also remembers when the task reached the end of its input: every checkpoint taken after that
 * holds the task's final state, and once one of them completes the task may finish
 * (finalCheckpointDone). One that is aborted no longer counts; the notifications of two
 * checkpoints may arrive in either order.
 *
 * Threading: the task's event loop. Lifecycle: close() when the task ends; snapshots still being
 * written are abandoned and their files removed.
 */
import { randomBytes } from 'node:crypto';
import type { ChainSnapshot, TaskChain } from '@eddy/api/internal';
import type { eddy_checkpoint_v1 as cp, eddy_cluster_v1 as cluster } from '@eddy/proto';
import { barrierBuffer, type CheckpointBarrier } from '../../network/network-buffer.js';
import type { ResultPartitionWriter } from '../../network/result-partition-writer.js';
import { statePath, type StateFileOutput } from '../../checkpoint/filesystem/state-file-system.js';
import type { StateFileSystems } from '../../checkpoint/filesystem/state-file-systems.js';

export interface SubtaskCheckpointServices {
  readonly chain: TaskChain;
  readonly writers: readonly ResultPartitionWriter[];
  readonly settings: cp.TaskCheckpointingSettings;
  /** Where state files go (settings.storageDir: a local directory or `s3://`). */
  readonly fileSystems: StateFileSystems;
  /** `<vertex>-<subtask>-<attempt>`: names this task's state files. */
  readonly fileNamePrefix: string;
  acknowledge(checkpointId: number, state: cp.TaskStateSnapshot, metrics: cp.SubtaskCheckpointMetrics): void;
  decline(checkpointId: number, reason: unknown, kind: 'TASK_NOT_READY' | 'TASK_FAILURE'): void;
  /** Fails the task (a checkpoint hook of an operator threw). */
  fail(error: unknown): void;
}

interface InFlight {
  readonly snapshot: ChainSnapshot;
  aborted: boolean;
  readonly files: string[];
  /** Incremental: the base at the barrier; undefined: write full snapshots. */
  readonly base: KeyedReferences | undefined;
}

/** For each keyed operator, its chain in a checkpoint: a full snapshot, then change logs, oldest first. */
type KeyedReferences = Map<string, KeyedChain>;
interface KeyedChain {
  readonly start: number;
  readonly end: number;
  readonly handles: readonly cp.KeyedStateHandle[];
  /** Bytes of the full snapshot, and of the change logs after it. */
  readonly fullBytes: number;
  readonly changeBytes: number;
}

/** Change logs after which an incremental checkpoint writes a full snapshot again (restores read the whole chain). */
export const MAX_CHANGE_LOGS = 10;

export class SubtaskCheckpointCoordinator {
  private readonly inFlight = new Map<number, InFlight>();
  /** Incremental: the chains of checkpoints acknowledged and not yet complete. */
  private readonly acknowledgedReferences = new Map<number, KeyedReferences>();
  /** Incremental: the chains of the last completed checkpoint, the base of the next ones. */
  private base: { readonly checkpointId: number; readonly references: KeyedReferences } | undefined;
  private endOfInput = false;
  /** Checkpoints taken after the end of the input and not aborted. */
  private readonly finalCandidates = new Set<number>();
  private closed = false;
  private resolveFinal: (() => void) | undefined;
  /** Resolves once a checkpoint taken after the end of the input completed. */
  readonly finalCheckpointDone: Promise<void>;

  constructor(private readonly services: SubtaskCheckpointServices) {
    this.finalCheckpointDone = new Promise((resolve) => (this.resolveFinal = resolve));
  }

  /** The task reached the end of all its input: its next checkpoint is its final one. */
  markEndOfInput(): void {
    this.endOfInput = true;
  }

  /** Takes checkpoint N now (see the class comment); never throws. */
  checkpoint(barrier: CheckpointBarrier, alignmentDurationMs: number): void {
    const { chain, writers } = this.services;
    const id = barrier.checkpointId;
    if (this.closed) {
      this.services.decline(id, new Error('the task is ending'), 'TASK_NOT_READY');
      return;
    }
    const started = performance.now();
    let snapshot: ChainSnapshot;
    try {
      chain.prepareSnapshotPreBarrier(id);
      snapshot = chain.snapshotState(id, barrier.timestamp, barrier.savepoint === true);
    } catch (error) {
      this.services.decline(id, error, 'TASK_FAILURE');
      this.services.fail(error);
      return;
    }
    try {
      const event = barrierBuffer(barrier);
      for (const writer of writers) writer.broadcastEvent(event);
    } catch (error) {
      snapshot.release();
      this.services.decline(id, error, 'TASK_FAILURE');
      return;
    }
    const endOfInput = this.endOfInput;
    if (endOfInput) this.finalCandidates.add(id);
    const syncDurationMs = Math.round(performance.now() - started);
    // A savepoint is full and canonical: no change log over a checkpoint's files, and never a base.
    const savepoint = barrier.savepoint === true;
    const flight: InFlight = { snapshot, aborted: false, files: [], base: this.services.settings.incremental && !savepoint ? this.base?.references : undefined };
    this.inFlight.set(id, flight);
    const asyncStarted = performance.now();
    // A sink that writes asynchronously is acknowledged once what it wrote before the barrier is durable.
    const written = snapshot.flushed === undefined ? this.write(id, flight) : snapshot.flushed.then(() => this.write(id, flight));
    written.then(
      (operators) => {
        this.inFlight.delete(id);
        snapshot.release();
        if (flight.aborted || this.closed) {
          void this.removeFiles(flight.files);
          return;
        }
        if (this.services.settings.incremental && !savepoint) this.acknowledgedReferences.set(id, operators.references);
        const state: cp.TaskStateSnapshot = {
          operators: operators.state,
          heldSplitIds: [...snapshot.heldSplitIds],
          finishedSplitIds: [...snapshot.finishedSplitIds],
          endOfInput,
        };
        this.services.acknowledge(id, state, {
          alignmentDurationMs: Math.round(alignmentDurationMs),
          syncDurationMs,
          asyncDurationMs: Math.round(performance.now() - asyncStarted),
          stateSize: operators.size,
          bytesProcessedDuringAlignment: 0,
        });
      },
      (error: unknown) => {
        this.inFlight.delete(id);
        snapshot.release();
        void this.removeFiles(flight.files);
        if (!flight.aborted && !this.closed) this.services.decline(id, error, 'TASK_FAILURE');
      },
    );
  }

  /** Checkpoint N completed: operators commit; a task past its end finishes after its final one. */
  async notifyCheckpointComplete(checkpointId: number): Promise<void> {
    if (this.closed) return;
    const references = this.acknowledgedReferences.get(checkpointId);
    if (references !== undefined && (this.base === undefined || this.base.checkpointId < checkpointId)) this.base = { checkpointId, references };
    for (const id of this.acknowledgedReferences.keys()) if (id <= checkpointId) this.acknowledgedReferences.delete(id);
    await this.services.chain.notifyCheckpointComplete(checkpointId);
    // A completed checkpoint subsumes the earlier ones: any final candidate up to it is complete.
    for (const candidate of this.finalCandidates) {
      if (candidate <= checkpointId) {
        this.resolveFinal?.();
        break;
      }
    }
  }

  notifyCheckpointAborted(checkpointId: number): void {
    const flight = this.inFlight.get(checkpointId);
    if (flight !== undefined) flight.aborted = true;
    this.acknowledgedReferences.delete(checkpointId);
    this.finalCandidates.delete(checkpointId);
    if (!this.closed) this.services.chain.notifyCheckpointAborted(checkpointId);
  }

  /** The task ends: snapshots still being written are abandoned. */
  close(): void {
    this.closed = true;
    for (const flight of this.inFlight.values()) {
      flight.aborted = true;
      flight.snapshot.release();
    }
  }

  private async write(checkpointId: number, flight: InFlight): Promise<{ state: cp.OperatorSubtaskState[]; size: number; references: KeyedReferences }> {
    const operators: cp.OperatorSubtaskState[] = [];
    const references: KeyedReferences = new Map();
    let size = 0;
    const { snapshot } = flight;
    for (let index = 0; index < snapshot.operators.length; index++) {
      const view = snapshot.operators[index]!;
      const keyedState: cp.KeyedStateHandle[] = [];
      const operatorState: cp.OperatorStateHandle[] = [];
      if (view.keyed !== undefined) {
        const out = new StateOutput(this.services.settings, this.services.fileSystems, this.directoryOf(checkpointId), `${this.services.fileNamePrefix}-op${index}-keyed`, flight);
        try {
          const { keyGroupStart: start, keyGroupEnd: end } = view.keyed;
          const base = flight.base?.get(view.operatorId);
          const extend = base !== undefined && base.start === start && base.end === end && base.handles.length <= MAX_CHANGE_LOGS && base.changeBytes <= base.fullBytes;
          const result = await view.keyed.write((chunk) => (flight.aborted ? Promise.reject(new Error(`checkpoint ${checkpointId} was aborted`)) : out.write(chunk)), undefined, !extend);
          const handle = await out.close();
          const written: cp.KeyedStateHandle = { keyGroupStart: start, keyGroupEnd: end, keyGroupOffsets: result.offsets, handle };
          let chain: KeyedChain = { start, end, handles: [written], fullBytes: handle.size, changeBytes: 0 };
          if (result.changes === true) {
            if (!extend) throw new Error(`internal error: operator ${view.operatorId} wrote a change log for a full checkpoint`);
            chain = { start, end, handles: [...base.handles, written], fullBytes: base.fullBytes, changeBytes: base.changeBytes + handle.size };
          }
          keyedState.push(...chain.handles);
          references.set(view.operatorId, chain);
          size += handle.size;
        } catch (error) {
          await out.abandon();
          throw error;
        }
      }
      if (view.operatorState !== undefined) {
        const out = new StateOutput(this.services.settings, this.services.fileSystems, this.directoryOf(checkpointId), `${this.services.fileNamePrefix}-op${index}-lists`, flight);
        await out.write(view.operatorState.bytes);
        const handle = await out.close();
        operatorState.push({ handle, states: view.operatorState.states.map((entry) => ({ name: entry.name, mode: entry.mode, offsets: entry.offsets, type: typeText(entry.type), ends: [] })) });
        size += handle.size;
      }
      const states = (view.states ?? []).map((state) => ({ name: state.name, kind: state.kind, type: typeText(state.type) }));
      operators.push({ operatorId: view.operatorId, keyedState, operatorState, unionOperatorState: [], states });
    }
    return { state: operators, size, references };
  }

  private directoryOf(checkpointId: number): string {
    return statePath(this.services.settings.storageDir, `chk-${checkpointId}`);
  }

  private async removeFiles(files: readonly string[]): Promise<void> {
    await Promise.all(files.map((file) => this.services.fileSystems.of(file).delete(file).catch(() => undefined)));
  }
}

/**
 * Collects a piece of state: in memory up to the inline threshold, then into a file of the
 * checkpoint directory (created on demand). Without a directory everything stays inline, up to
 * state.checkpoints.max-inline-state-size.
 */
class StateOutput {
  private readonly chunks: Uint8Array[] = [];
  private buffered = 0;
  private size = 0;
  private file: StateFileOutput | undefined;
  private path = '';

  constructor(
    private readonly settings: cp.TaskCheckpointingSettings,
    private readonly fileSystems: StateFileSystems,
    private readonly directory: string,
    private readonly baseName: string,
    private readonly flight: InFlight,
  ) {}

  async write(chunk: Uint8Array): Promise<void> {
    this.size += chunk.byteLength;
    if (this.file !== undefined) {
      await this.writeToFile(chunk);
      return;
    }
    this.chunks.push(chunk);
    this.buffered += chunk.byteLength;
    if (this.settings.storageDir === '') {
      if (this.buffered > this.settings.maxInlineStateBytes) {
        throw new Error(
          `the state of this subtask is more than ${this.settings.maxInlineStateBytes} bytes, the most a subtask may send to the JobManager ` +
            '(state.checkpoints.max-inline-state-size); set state.checkpoints.dir to a directory every TaskManager shares',
        );
      }
      return;
    }
    if (this.buffered >= this.settings.inlineThresholdBytes) {
      await this.openFile();
      const pending = this.chunks.splice(0);
      this.buffered = 0;
      for (const piece of pending) await this.writeToFile(piece);
    }
  }

  async close(): Promise<cp.StreamStateHandle> {
    if (this.file === undefined) {
      const bytes = Buffer.concat(this.chunks);
      return { path: '', inlineBytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), size: bytes.byteLength };
    }
    const file = this.file;
    this.file = undefined;
    await file.close();
    return { path: this.path, inlineBytes: new Uint8Array(0), size: this.size };
  }

  async abandon(): Promise<void> {
    const file = this.file;
    this.file = undefined;
    await file?.abandon();
  }

  private async openFile(): Promise<void> {
    this.path = statePath(this.directory, `${this.baseName}-${randomBytes(4).toString('hex')}`);
    this.file = await this.fileSystems.of(this.path).createOutput(this.path);
    this.flight.files.push(this.path);
  }

  private async writeToFile(chunk: Uint8Array): Promise<void> {
    await (this.file as StateFileOutput).write(chunk);
  }
}

/** An ErrorInfo-ish name and message for a decline. */
export function declineReason(error: unknown): Pick<cluster.ErrorInfo, 'name' | 'message'> {
  return error instanceof Error ? { name: error.name, message: error.message } : { name: 'Error', message: String(error) };
}

/** A state type's canonical form as the proto carries it: JSON text, '' when unchecked. */
function typeText(type: unknown): string {
  return type === undefined ? '' : JSON.stringify(type);
}
