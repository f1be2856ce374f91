/**
 * Keyed state snapshots, cut by key group (Flink's KeyGroupsStateHandle with its offsets), so a
 * restore at another parallelism takes the key groups it owns and nothing else.
 *
 *   bytes 0..3     magic "EKS1"
 *   bytes 4..7     u32 LE length of the header
 *   header         JSON { serializer, maxParallelism, keyGroupStart, keyGroupEnd, typeFormat,
 *                  states: [{ name, kind, type? }], changes? }: type is the state's type in canonical
 *                  form (types.ts, format typeFormat, 1 today), absent for an unchecked state
 *   per key group  (start..end, in order) a serialized batch of entries, flattened:
 *                  [state index, key, value, state index, key, value, ...]; state index -2 is a
 *                  timer (key, [service, domain 0 event time | 1 processing time, namespace, time]);
 *                  -1, written before event time existed, a processing-time timer of the
 *                  KeyedProcessFunction (key, time); nothing at all for an empty key group
 *
 * A change log (header `changes: true`, an incremental checkpoint of the lmdb backend) holds only
 * what changed since the checkpoint it builds on, and is restored over it (handles apply in
 * order): entries as above overwrite, -3 removes (key, state index), and -4 (null, null) first in
 * a key group says that the timers that follow replace every timer restored for it so far.
 *
 * offsets[i] is where key group start+i begins; the last one runs to the end of the bytes.
 *
 * Writing happens after the copy-on-write freeze (state-table.ts): the frozen entries are bucketed
 * by key group and serialized in slices that give the task's event loop a turn between them, so
 * records keep flowing while a large state is written.
 */
import { fromStateKey, type HeapKeyedStateBackend } from './keyed-state-backend.js';
import { keyGroupFor } from '../../key-groups.js';
import type { StateKind } from '../../state.js';
import { parseStateTypeJson, STATE_TYPE_FORMAT, type StateTypeJson } from '../../types.js';
import { decodeStateBatch, encodeStateBatch, STATE_SERIALIZER } from './state-serializer.js';

const MAGIC = 0x31534b45; // "EKS1" little-endian
/** Entries handled between two turns of the event loop. */
const SLICE_ENTRIES = 20_000;

export type TimerDomain = 'EVENT_TIME' | 'PROCESSING_TIME';

/** The timer service of a KeyedProcessFunction's timers (Flink's name); their namespace is undefined. */
export const USER_TIMERS_SERVICE = 'user-timers';

/** A timer of a keyed operator, as its InternalTimerService keeps it. */
export interface KeyedTimer {
  /** The name of the operator's timer service. */
  readonly service: string;
  readonly domain: TimerDomain;
  readonly key: unknown;
  readonly namespace: unknown;
  readonly time: number;
}

export interface KeyedStateSnapshotResult {
  readonly keyGroupStart: number;
  readonly keyGroupEnd: number;
  readonly offsets: number[];
  readonly size: number;
  /** A change log (see the file comment), to restore over the handles of the last completed checkpoint. */
  readonly changes?: boolean;
}

/** A change log entry that removes (key, state index). */
export const REMOVED_ENTRY = -3;
/** First in a key group of a change log: the timers that follow replace the key group's timers. */
export const TIMERS_REPLACED = -4;

/** Where the bytes go; may return a promise (a file write) that the writer awaits. */
export type ChunkSink = (chunk: Uint8Array) => void | Promise<void>;

/**
 * The synchronous part of a keyed snapshot (what AbstractStreamOperator.snapshotState returns):
 * a frozen view, written afterwards off the record path. Every backend writes the same format.
 */
export interface KeyedSnapshotWriter {
  readonly keyGroupStart: number;
  readonly keyGroupEnd: number;
  /**
   * Writes the snapshot into `sink`, yielding between slices; resolves to the key group offsets.
   * An incremental snapshot writes a change log (KeyedStateSnapshotResult.changes) unless `full`
   * (the runtime has no chain to add it to, or starts a new one).
   */
  write(sink: ChunkSink, yieldTurn?: () => Promise<void>, full?: boolean): Promise<KeyedStateSnapshotResult>;
  /** The snapshot is written (or abandoned): the backend lets go of the frozen view. */
  release(): void;
}

/** The header of an EKS1 snapshot. */
export interface KeyedSnapshotHeader {
  readonly maxParallelism: number;
  readonly keyGroupStart: number;
  readonly keyGroupEnd: number;
  readonly states: readonly { readonly name: string; readonly kind: string; readonly type?: unknown }[];
  /** A change log (see the file comment). */
  readonly changes?: true;
}

/** A frozen view of a heap backend's state and timers, written later. */
export class KeyedStateSnapshot implements KeyedSnapshotWriter {
  readonly keyGroupStart: number;
  readonly keyGroupEnd: number;
  private readonly views: { name: string; kind: string; type: StateTypeJson | undefined; entries: ReadonlyMap<unknown, unknown> }[];
  private released = false;

  /** Freezes `backend` (O(1) per state) and takes a copy of `timers`. */
  constructor(
    private readonly backend: HeapKeyedStateBackend,
    private readonly timers: readonly KeyedTimer[],
  ) {
    this.keyGroupStart = backend.keyGroupRange.startKeyGroup;
    this.keyGroupEnd = backend.keyGroupRange.endKeyGroup;
    this.views = backend.stateTables().map((table) => ({ name: table.name, kind: table.kind, type: backend.stateTypeOf(table.name), entries: table.snapshot() }));
  }

  /** Writes the snapshot into `sink`, yielding between slices; resolves to the key group offsets. */
  async write(sink: ChunkSink, yieldTurn: () => Promise<void> = nextTurn): Promise<KeyedStateSnapshotResult> {
    const start = this.keyGroupStart;
    const groups = this.keyGroupEnd - start + 1;
    const maxParallelism = this.backend.maxParallelism;
    const buckets: unknown[][] = Array.from({ length: groups }, () => []);
    let work = 0;
    for (let index = 0; index < this.views.length; index++) {
      for (const [stateKey, value] of (this.views[index] as (typeof this.views)[number]).entries) {
        const key = fromStateKey(stateKey);
        const bucket = buckets[keyGroupFor(key, maxParallelism) - start];
        if (bucket === undefined) throw new Error(`internal error: key ${String(key)} is outside the key groups ${start}-${this.keyGroupEnd} of this subtask`);
        bucket.push(index, key, value);
        if (++work % SLICE_ENTRIES === 0) await yieldTurn();
      }
    }
    addTimers(buckets, this.timers, start, maxParallelism);
    const header = { maxParallelism, keyGroupStart: start, keyGroupEnd: this.keyGroupEnd, states: this.views.map(({ name, kind, type }) => (type === undefined ? { name, kind } : { name, kind, type })) };
    return writeKeyGroups(sink, header, (group) => buckets[group - start] as unknown[], yieldTurn);
  }

  /** The snapshot is written (or abandoned): the tables fold the changes made meanwhile back in. */
  release(): void {
    if (this.released) return;
    this.released = true;
    for (const table of this.backend.stateTables()) table.release();
  }
}

/** Puts every timer into the bucket of its key's group (the buckets of key groups start..). */
export function addTimers(buckets: unknown[][], timers: readonly KeyedTimer[], start: number, maxParallelism: number): void {
  for (const timer of timers) {
    const bucket = buckets[keyGroupFor(timer.key, maxParallelism) - start];
    bucket?.push(-2, timer.key, [timer.service, timer.domain === 'EVENT_TIME' ? 0 : 1, timer.namespace, timer.time]);
  }
}

/**
 * Writes an EKS1 snapshot: the header, then the entries of each key group of the header's range in
 * order, as `entriesOf(group)` gives them (flattened [state index, key, value, ...]; may be
 * empty). Yields between slices of about SLICE_ENTRIES entries.
 */
export async function writeKeyGroups(
  sink: ChunkSink,
  header: KeyedSnapshotHeader,
  entriesOf: (keyGroup: number) => unknown[],
  yieldTurn: () => Promise<void> = nextTurn,
): Promise<KeyedStateSnapshotResult> {
  const { keyGroupStart: start, keyGroupEnd: end } = header;
  const headerBytes = Buffer.from(JSON.stringify({ serializer: STATE_SERIALIZER, typeFormat: STATE_TYPE_FORMAT, ...header }));
  const prefix = Buffer.alloc(8);
  prefix.writeUInt32LE(MAGIC, 0);
  prefix.writeUInt32LE(headerBytes.byteLength, 4);
  await sink(prefix);
  await sink(headerBytes);
  let position = 8 + headerBytes.byteLength;
  const offsets: number[] = [];
  let work = 0;
  for (let group = start; group <= end; group++) {
    offsets.push(position);
    const entries = entriesOf(group);
    if (entries.length === 0) continue;
    const bytes = encodeStateBatch(entries);
    await sink(bytes);
    position += bytes.byteLength;
    work += entries.length / 3;
    if (work >= SLICE_ENTRIES) {
      work = 0;
      await yieldTurn();
    }
  }
  return { keyGroupStart: start, keyGroupEnd: end, offsets, size: position, ...(header.changes === true ? { changes: true } : {}) };
}

export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** One keyed state handle as a restore sees it. */
export interface RestoredKeyedState {
  readonly keyGroupStart: number;
  readonly keyGroupEnd: number;
  readonly offsets: readonly number[];
  readonly bytes: Uint8Array;
  /** For messages: the file or "inline state of operator X". */
  readonly where: string;
}

/**
 * Puts the entries of the key groups `backend` owns back into it, and hands every timer to
 * `restoreTimer`. Key groups outside the backend's range are skipped (another subtask owns them).
 */
export function restoreKeyedState(backend: HeapKeyedStateBackend, handles: readonly RestoredKeyedState[], restoreTimer: (timer: KeyedTimer) => void): void {
  const own = backend.keyGroupRange;
  // Timers by key group, handed out at the end: a change log may replace a key group's timers.
  const timers = new Map<number, KeyedTimer[]>();
  const timersOf = (group: number): KeyedTimer[] => {
    let list = timers.get(group);
    if (list === undefined) timers.set(group, (list = []));
    return list;
  };
  for (const handle of handles) {
    const { bytes, where } = handle;
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (view.byteLength < 8 || view.readUInt32LE(0) !== MAGIC) throw new Error(`${where} is not a keyed state snapshot (wrong magic bytes, or the file is truncated)`);
    const headerLength = view.readUInt32LE(4);
    if (8 + headerLength > view.byteLength) throw new Error(`${where} is truncated: its header needs ${headerLength} bytes, ${view.byteLength - 8} are there`);
    let header: { serializer: string; maxParallelism: number; keyGroupStart: number; keyGroupEnd: number; typeFormat?: number; states: { name: string; kind: StateKind; type?: unknown }[]; changes?: boolean };
    try {
      header = JSON.parse(view.toString('utf8', 8, 8 + headerLength)) as typeof header;
    } catch (error) {
      throw new Error(`${where} has a corrupt header: ${(error as Error).message}`);
    }
    if (header.serializer !== STATE_SERIALIZER) throw new Error(`${where} was written with the '${header.serializer}' serializer, which this version of Eddy cannot read`);
    if (header.maxParallelism !== backend.maxParallelism) {
      throw new Error(`${where} was written with max parallelism ${header.maxParallelism}, the job now has ${backend.maxParallelism}; the max parallelism of a stateful operator cannot change`);
    }
    if (header.typeFormat !== undefined && header.typeFormat > STATE_TYPE_FORMAT) {
      throw new Error(`${where} records state types in format ${header.typeFormat}; this version of Eddy reads format ${STATE_TYPE_FORMAT}: restore with the Eddy version that wrote it or a newer one`);
    }
    const tables = header.states.map(({ name, kind, type }) => backend.restoreTable(name, kind, type === undefined ? undefined : parseStateTypeJson(type, `the header of ${where} (state '${name}')`)));
    const count = header.keyGroupEnd - header.keyGroupStart + 1;
    const changes = header.changes === true;
    if (handle.offsets.length !== count) throw new Error(`${where} has ${handle.offsets.length} key group offsets for ${count} key groups`);
    for (let i = 0; i < count; i++) {
      const group = header.keyGroupStart + i;
      if (group < own.startKeyGroup || group > own.endKeyGroup) continue;
      const from = handle.offsets[i] as number;
      const to = i + 1 < count ? (handle.offsets[i + 1] as number) : view.byteLength;
      if (to === from) continue;
      if (from < 8 + headerLength || to > view.byteLength || to < from) throw new Error(`${where} is truncated or corrupt: key group ${group} runs from byte ${from} to ${to} of ${view.byteLength}`);
      const entries = decodeStateBatch(bytes.subarray(from, to), `key group ${group} of ${where}`);
      for (let e = 0; e + 2 < entries.length; e += 3) {
        const index = entries[e] as number;
        const key = entries[e + 1];
        const value = entries[e + 2];
        if (index === -2) {
          const [service, domain, namespace, time] = value as [string, number, unknown, number];
          timersOf(group).push({ service, domain: domain === 0 ? 'EVENT_TIME' : 'PROCESSING_TIME', key, namespace, time });
          continue;
        }
        if (index === -1) {
          timersOf(group).push({ service: USER_TIMERS_SERVICE, domain: 'PROCESSING_TIME', key, namespace: undefined, time: value as number });
          continue;
        }
        if (changes && index === TIMERS_REPLACED) {
          timers.delete(group);
          continue;
        }
        if (changes && index === REMOVED_ENTRY) {
          const removed = tables[value as number];
          if (removed === undefined) throw new Error(`${where} is corrupt: a removal in key group ${group} names state #${String(value)}, the header lists ${tables.length}`);
          backend.setCurrentKey(key);
          removed.delete(backend.currentStateKey);
          continue;
        }
        const table = tables[index];
        if (table === undefined) throw new Error(`${where} is corrupt: an entry of key group ${group} names state #${index}, the header lists ${tables.length}`);
        backend.setCurrentKey(key);
        table.set(backend.currentStateKey, value);
      }
      backend.flushIfLarge();
    }
  }
  backend.endOfBatch();
  for (const list of timers.values()) for (const timer of list) restoreTimer(timer);
}
