/**
 * A completed checkpoint as the JobMaster keeps it, and its `_metadata` file.
 *
 * The metadata names, per subtask of every vertex, the state its operators wrote (handles: a file
 * of the checkpoint directory, or inline bytes) and, for sources, which splits were held and which
 * were finished. The file is JSON (inline bytes in base64) with a format name, a version and a
 * sha256 of its content, so a truncated, edited or foreign file is refused with what was wrong and
 * where, before any state is handed to a task.
 *
 *   {
 *     "format": "eddy-checkpoint", "version": 2, "sha256": "<hex of the JSON of `checkpoint`>",
 *     "checkpoint": { "jobId", "jobName", "checkpointId", "triggeredAt", "completedAt", "savepoint",
 *       "vertices": [{ "vertexId", "name", "parallelism", "maxParallelism", "operatorIds",
 *                      "finishedSplitIds", "subtasks": [{ "subtask", "state": TaskStateSnapshot }],
 *                      "enumerator"?: { "splits", "cutForParallelism", "kind"?, "initialDiscoveryFinished"? } }] }
 *   }
 *
 * Each operator of a TaskStateSnapshot lists its states ("states": [{ "name", "kind", "type"? }],
 * type in the canonical form of packages/api/src/types.ts as JSON text), so new code can be checked
 * against the checkpoint (checkJobAgainstState) without reading state files. Files written before
 * state types lack the list and read as having no known states.
 *
 * A state handle is `{ "file": "<name>", "size" }` for a file in the directory of the `_metadata`
 * (relative, so the directory can be moved: every file of a savepoint is), `{ "path": "<absolute>",
 * "size" }` for a file elsewhere (a checkpoint's reference to state an earlier checkpoint wrote),
 * or `{ "inline": "<base64>", "size" }`. docs/savepoints.md describes the format for users.
 *
 * Version 2 (relative `file` handles, `savepoint`) is what this file writes; version 1 (absolute
 * paths only, no `savepoint`) is still read.
 */
import { createHash } from 'node:crypto';
import { isAbsolute } from 'node:path';
import { nameOf, parentOf, statePath } from './filesystem/state-file-system.js';
import type { eddy_checkpoint_v1 as cp } from '@eddy/proto';

export const METADATA_FILE_NAME = '_metadata';
export const METADATA_FORMAT = 'eddy-checkpoint';
export const METADATA_VERSION = 2;

export interface SubtaskCheckpointState {
  readonly subtask: number;
  readonly state: cp.TaskStateSnapshot;
}

export interface VertexCheckpointState {
  readonly vertexId: string;
  readonly name: string;
  readonly parallelism: number;
  readonly maxParallelism: number;
  /** The stable ids of the vertex's operators, head first. */
  readonly operatorIds: readonly string[];
  /** Source vertices: every split finished as of this checkpoint (cumulative since the job started). */
  readonly finishedSplitIds: readonly string[];
  /** One per subtask, in subtask order. */
  readonly subtasks: readonly SubtaskCheckpointState[];
  /** Source vertices: their SplitEnumerator's state (absent in checkpoints of earlier versions). */
  readonly enumerator?: SplitEnumeratorState;
}

/**
 * A source vertex's SplitEnumerator in a checkpoint (FLIP-27 checkpoints the enumerator with the
 * coordinator): every split of the source, in order (a split id is its index here), and the
 * parallelism they were cut for. A restore at another parallelism hands out these splits, not the
 * ones the new plan cut, so ids and positions keep their meaning.
 */
export interface SplitEnumeratorState {
  readonly splits: readonly string[];
  readonly cutForParallelism: number;
  /**
   * Absent: the plan-time splits' enumerator (StaticSplitEnumerator). 'kafka': a KafkaSource's
   * (KafkaSplitEnumerator): `splits` are the partitions it knows, each with where it starts (and,
   * bounded, stops), and `initialDiscoveryFinished` says whether its first discovery was done.
   */
  readonly kind?: string;
  readonly initialDiscoveryFinished?: boolean;
}

export interface CompletedCheckpoint {
  readonly jobId: string;
  readonly jobName: string;
  readonly checkpointId: number;
  readonly triggeredAt: number;
  readonly completedAt: number;
  readonly vertices: readonly VertexCheckpointState[];
  /** Where its `_metadata` file is; '' when the checkpoint lives in the JobManager's memory only. */
  readonly metadataPath: string;
  /** A savepoint (self-contained, never deleted by the job) rather than a checkpoint; absent: false. */
  readonly savepoint?: boolean;
}

/** A `_metadata` file that cannot be used: the message says what is wrong and where. */
export class CheckpointMetadataError extends Error {
  override readonly name = 'CheckpointMetadataError';
}

/** Every state handle of a checkpoint. */
export function* stateHandlesOf(checkpoint: Pick<CompletedCheckpoint, 'vertices'>): Iterable<cp.StreamStateHandle> {
  for (const vertex of checkpoint.vertices) for (const subtask of vertex.subtasks) yield* stateHandlesOfTask(subtask.state);
}

export function* stateHandlesOfTask(state: cp.TaskStateSnapshot): Iterable<cp.StreamStateHandle> {
  for (const operator of state.operators) {
    for (const keyed of operator.keyedState) if (keyed.handle) yield keyed.handle;
    for (const list of operator.operatorState) if (list.handle) yield list.handle;
  }
}

/** Bytes of state a checkpoint holds (inline and in files). */
export function stateSizeOf(checkpoint: Pick<CompletedCheckpoint, 'vertices'>): number {
  let size = 0;
  for (const handle of stateHandlesOf(checkpoint)) size += handle.size;
  return size;
}

// ---- The file ----

interface MetadataFile {
  readonly format: string;
  readonly version: number;
  readonly sha256: string;
  readonly checkpoint: unknown;
}

/**
 * The `_metadata` file's bytes for a checkpoint whose `_metadata` goes into `directory`: handles of
 * files inside it are written relative to it (see the file comment).
 */
export function encodeMetadata(checkpoint: Omit<CompletedCheckpoint, 'metadataPath'>, directory = ''): Buffer {
  const body = JSON.stringify(checkpointToJson(checkpoint, directory));
  const sha256 = createHash('sha256').update(body).digest('hex');
  // The body is embedded as it was hashed, so the reader can check the hash over the same text.
  return Buffer.from(`{"format":"${METADATA_FORMAT}","version":${METADATA_VERSION},"sha256":"${sha256}","checkpoint":${body}}\n`);
}

/** Reads a `_metadata` file's bytes; throws CheckpointMetadataError naming `where` and what is wrong. */
export function decodeMetadata(bytes: Buffer, where: string, metadataPath: string): CompletedCheckpoint {
  const text = bytes.toString('utf8');
  let file: MetadataFile;
  try {
    file = JSON.parse(text) as MetadataFile;
  } catch (error) {
    const truncated = text.length === 0 ? ' (the file is empty)' : text.trimEnd().endsWith('}') ? '' : ' (the file looks truncated)';
    throw new CheckpointMetadataError(`${where} is not a readable checkpoint metadata file${truncated}: ${(error as Error).message}`);
  }
  if (file === null || typeof file !== 'object' || file.format !== METADATA_FORMAT) {
    throw new CheckpointMetadataError(`${where} is not an Eddy checkpoint metadata file (its format is ${JSON.stringify((file as { format?: unknown } | null)?.format)}, expected "${METADATA_FORMAT}")`);
  }
  if (typeof file.version !== 'number' || file.version > METADATA_VERSION || file.version < 1) {
    throw new CheckpointMetadataError(`${where} has metadata version ${String(file.version)}; this Eddy reads versions 1 to ${METADATA_VERSION}`);
  }
  const start = text.indexOf('"checkpoint":');
  const body = start < 0 ? '' : text.slice(start + '"checkpoint":'.length, text.lastIndexOf('}'));
  const sha256 = createHash('sha256').update(body).digest('hex');
  if (sha256 !== file.sha256) {
    throw new CheckpointMetadataError(`${where} is corrupt: the sha256 of its content is ${sha256}, the file says ${String(file.sha256)}`);
  }
  return { ...checkpointFromJson(file.checkpoint, where, parentOf(metadataPath)), metadataPath };
}

// JSON forms: bytes as base64, everything else as is.

function checkpointToJson(checkpoint: Omit<CompletedCheckpoint, 'metadataPath'>, directory: string): unknown {
  return {
    jobId: checkpoint.jobId,
    jobName: checkpoint.jobName,
    checkpointId: checkpoint.checkpointId,
    triggeredAt: checkpoint.triggeredAt,
    completedAt: checkpoint.completedAt,
    savepoint: checkpoint.savepoint === true,
    vertices: checkpoint.vertices.map((vertex) => ({
      vertexId: vertex.vertexId,
      name: vertex.name,
      parallelism: vertex.parallelism,
      maxParallelism: vertex.maxParallelism,
      operatorIds: vertex.operatorIds,
      finishedSplitIds: vertex.finishedSplitIds,
      subtasks: vertex.subtasks.map((subtask) => ({ subtask: subtask.subtask, state: taskStateToJson(subtask.state, directory) })),
      ...(vertex.enumerator === undefined ? {} : { enumerator: enumeratorToJson(vertex.enumerator) }),
    })),
  };
}

function handleToJson(handle: cp.StreamStateHandle | null | undefined, directory: string): unknown {
  if (!handle) return null;
  if (handle.path === '') return { inline: Buffer.from(handle.inlineBytes).toString('base64'), size: handle.size };
  if (directory !== '' && parentOf(handle.path) === directory.replace(/\/+$/, '')) return { file: nameOf(handle.path), size: handle.size };
  return { path: handle.path, size: handle.size };
}

export function taskStateToJson(state: cp.TaskStateSnapshot, directory = ''): unknown {
  return {
    operators: state.operators.map((operator) => ({
      operatorId: operator.operatorId,
      keyed: operator.keyedState.map((keyed) => ({
        start: keyed.keyGroupStart,
        end: keyed.keyGroupEnd,
        offsets: keyed.keyGroupOffsets,
        handle: handleToJson(keyed.handle, directory),
      })),
      lists: operator.operatorState.map((list) => ({
        handle: handleToJson(list.handle, directory),
        states: list.states.map((entry) => (entry.type === '' ? { name: entry.name, mode: entry.mode, offsets: entry.offsets } : { name: entry.name, mode: entry.mode, offsets: entry.offsets, type: entry.type })),
      })),
      states: operator.states.map((state) => (state.type === '' ? { name: state.name, kind: state.kind } : { name: state.name, kind: state.kind, type: state.type })),
    })),
    heldSplitIds: state.heldSplitIds,
    finishedSplitIds: state.finishedSplitIds,
    endOfInput: state.endOfInput,
  };
}

/** Reads the JSON forms back, checking every field's type; `where` leads every complaint. */
class Reader {
  /** `directory`: where the `_metadata` is, which relative `file` handles are in. */
  constructor(
    private readonly where: string,
    private readonly directory = '',
  ) {}

  fail(path: string, problem: string): never {
    throw new CheckpointMetadataError(`${this.where} is corrupt at ${path}: ${problem}`);
  }

  object(value: unknown, path: string): Record<string, unknown> {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) this.fail(path, `expected an object, found ${describe(value)}`);
    return value as Record<string, unknown>;
  }

  array(value: unknown, path: string): unknown[] {
    if (!Array.isArray(value)) this.fail(path, `expected a list, found ${describe(value)}`);
    return value;
  }

  number(value: unknown, path: string): number {
    if (typeof value !== 'number' || !Number.isFinite(value)) this.fail(path, `expected a number, found ${describe(value)}`);
    return value;
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string') this.fail(path, `expected a string, found ${describe(value)}`);
    return value;
  }

  boolean(value: unknown, path: string): boolean {
    if (typeof value !== 'boolean') this.fail(path, `expected true or false, found ${describe(value)}`);
    return value;
  }

  strings(value: unknown, path: string): string[] {
    return this.array(value, path).map((item, i) => this.string(item, `${path}[${i}]`));
  }

  numbers(value: unknown, path: string): number[] {
    return this.array(value, path).map((item, i) => this.number(item, `${path}[${i}]`));
  }

  handle(value: unknown, path: string): cp.StreamStateHandle | null {
    if (value === null) return null;
    const o = this.object(value, path);
    const size = this.number(o['size'], `${path}.size`);
    if (typeof o['path'] === 'string') return { path: o['path'], inlineBytes: new Uint8Array(0), size };
    if (typeof o['file'] === 'string') {
      const file = o['file'];
      if (file === '' || file === '.' || file === '..' || isAbsolute(file) || /[\\/]/.test(file)) this.fail(`${path}.file`, `${JSON.stringify(file)} is not the name of a file in the directory of the metadata`);
      if (this.directory === '') this.fail(`${path}.file`, 'a file relative to the metadata, but the metadata was not read from a directory');
      return { path: statePath(this.directory, file), inlineBytes: new Uint8Array(0), size };
    }
    const inline = Buffer.from(this.string(o['inline'], `${path}.inline`), 'base64');
    if (inline.byteLength !== size) this.fail(`${path}.inline`, `holds ${inline.byteLength} bytes, the handle says ${size}`);
    return { path: '', inlineBytes: new Uint8Array(inline.buffer, inline.byteOffset, inline.byteLength), size };
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`;
}

export function taskStateFromJson(value: unknown, where: string, path = 'state', directory = ''): cp.TaskStateSnapshot {
  const r = new Reader(where, directory);
  const o = r.object(value, path);
  return {
    operators: r.array(o['operators'], `${path}.operators`).map((op, i) => {
      const p = `${path}.operators[${i}]`;
      const operator = r.object(op, p);
      return {
        operatorId: r.string(operator['operatorId'], `${p}.operatorId`),
        keyedState: r.array(operator['keyed'], `${p}.keyed`).map((k, j) => {
          const kp = `${p}.keyed[${j}]`;
          const keyed = r.object(k, kp);
          return {
            keyGroupStart: r.number(keyed['start'], `${kp}.start`),
            keyGroupEnd: r.number(keyed['end'], `${kp}.end`),
            keyGroupOffsets: r.numbers(keyed['offsets'], `${kp}.offsets`),
            handle: r.handle(keyed['handle'], `${kp}.handle`),
          };
        }),
        operatorState: r.array(operator['lists'], `${p}.lists`).map((l, j) => {
          const lp = `${p}.lists[${j}]`;
          const list = r.object(l, lp);
          return {
            handle: r.handle(list['handle'], `${lp}.handle`),
            states: r.array(list['states'], `${lp}.states`).map((e, n) => {
              const ep = `${lp}.states[${n}]`;
              const entry = r.object(e, ep);
              return {
                name: r.string(entry['name'], `${ep}.name`),
                mode: r.string(entry['mode'], `${ep}.mode`),
                offsets: r.numbers(entry['offsets'], `${ep}.offsets`),
                type: entry['type'] === undefined ? '' : r.string(entry['type'], `${ep}.type`),
                ends: [],
              };
            }),
          };
        }),
        unionOperatorState: [],
        // Absent in metadata written before state types: nothing is known of the operator's states.
        states: (operator['states'] === undefined ? [] : r.array(operator['states'], `${p}.states`)).map((e, n) => {
          const sp = `${p}.states[${n}]`;
          const state = r.object(e, sp);
          return { name: r.string(state['name'], `${sp}.name`), kind: r.string(state['kind'], `${sp}.kind`), type: state['type'] === undefined ? '' : r.string(state['type'], `${sp}.type`) };
        }),
      };
    }),
    heldSplitIds: r.strings(o['heldSplitIds'], `${path}.heldSplitIds`),
    finishedSplitIds: r.strings(o['finishedSplitIds'], `${path}.finishedSplitIds`),
    endOfInput: r.boolean(o['endOfInput'], `${path}.endOfInput`),
  };
}

function checkpointFromJson(value: unknown, where: string, directory: string): Omit<CompletedCheckpoint, 'metadataPath'> {
  const r = new Reader(where, directory);
  const o = r.object(value, 'checkpoint');
  return {
    ...(o['savepoint'] === undefined ? {} : { savepoint: r.boolean(o['savepoint'], 'checkpoint.savepoint') }),
    jobId: r.string(o['jobId'], 'checkpoint.jobId'),
    jobName: r.string(o['jobName'], 'checkpoint.jobName'),
    checkpointId: r.number(o['checkpointId'], 'checkpoint.checkpointId'),
    triggeredAt: r.number(o['triggeredAt'], 'checkpoint.triggeredAt'),
    completedAt: r.number(o['completedAt'], 'checkpoint.completedAt'),
    vertices: r.array(o['vertices'], 'checkpoint.vertices').map((v, i) => {
      const p = `checkpoint.vertices[${i}]`;
      const vertex = r.object(v, p);
      return {
        vertexId: r.string(vertex['vertexId'], `${p}.vertexId`),
        name: r.string(vertex['name'], `${p}.name`),
        parallelism: r.number(vertex['parallelism'], `${p}.parallelism`),
        maxParallelism: r.number(vertex['maxParallelism'], `${p}.maxParallelism`),
        operatorIds: r.strings(vertex['operatorIds'], `${p}.operatorIds`),
        finishedSplitIds: r.strings(vertex['finishedSplitIds'], `${p}.finishedSplitIds`),
        subtasks: r.array(vertex['subtasks'], `${p}.subtasks`).map((s, j) => {
          const sp = `${p}.subtasks[${j}]`;
          const subtask = r.object(s, sp);
          return { subtask: r.number(subtask['subtask'], `${sp}.subtask`), state: taskStateFromJson(subtask['state'], where, `${sp}.state`, directory) };
        }),
        ...(vertex['enumerator'] === undefined ? {} : { enumerator: enumeratorFromJson(r, vertex['enumerator'], `${p}.enumerator`) }),
      };
    }),
  };
}

function enumeratorFromJson(r: Reader, value: unknown, path: string): SplitEnumeratorState {
  const o = r.object(value, path);
  return {
    splits: r.strings(o['splits'], `${path}.splits`),
    cutForParallelism: r.number(o['cutForParallelism'], `${path}.cutForParallelism`),
    ...(o['kind'] === undefined ? {} : { kind: r.string(o['kind'], `${path}.kind`) }),
    ...(o['initialDiscoveryFinished'] === undefined ? {} : { initialDiscoveryFinished: o['initialDiscoveryFinished'] === true }),
  };
}

function enumeratorToJson(enumerator: SplitEnumeratorState): SplitEnumeratorState {
  const { splits, cutForParallelism, kind, initialDiscoveryFinished } = enumerator;
  return { splits, cutForParallelism, ...(kind === undefined ? {} : { kind }), ...(initialDiscoveryFinished === undefined ? {} : { initialDiscoveryFinished }) };
}
