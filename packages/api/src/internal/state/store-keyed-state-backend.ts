/**
 * Keyed state in the task's keyed state store (`state.backend.type: lmdb`; the runtime opens an
 * LMDB environment per keyed operator, see ChainContext.keyedStateStores), for state larger than
 * the task's heap. Flink's EmbeddedRocksDBStateBackend in JavaScript terms.
 *
 * The operators and state handles are the heap backend's: each state is a StateTable, here one
 * whose entries live in the store, keyed (key group, state index, key) so a key group is one
 * contiguous range. Reads are synchronous store gets. A table keeps what it read and wrote in a
 * cache (so a value changed in place, `acc.count++`, is kept as on the heap, and a key read twice is
 * decoded once); at the end of an input batch (endOfBatch: the chain calls it after every input
 * batch and watermark, the timer service after fired timers) once the caches hold
 * FLUSH_CACHED_ENTRIES entries, the changed entries and every object read go to the store in ONE
 * write transaction and the caches empty. Nothing per record allocates a promise.
 *
 * A snapshot writes the batch out, then takes a read transaction of the store: O(1) on the task's
 * thread. Its asynchronous part reads key group after key group from that view and writes the
 * canonical EKS1 format (keyed-state-snapshot.ts), the same bytes the heap backend writes, so a
 * checkpoint of either backend restores into the other, at any parallelism.
 *
 * Incremental checkpoints (execution.checkpointing.incremental; FLIP-158's idea, by key): the
 * backend remembers which entries each batch wrote, and once a checkpoint it took a snapshot for
 * completed, a snapshot writes a change log: the current value (or the removal) of every entry
 * written since that checkpoint, over every snapshot since, completed or not, plus the timers of
 * the key groups that have timers now or had them then (timers live on the heap). Its size goes
 * with the change, not the state. The runtime restores it over that checkpoint's handles.
 *
 * Timers stay on the heap (InternalTimeServiceManager), as in the heap backend; a map state is one
 * entry per key (the whole Map), not one per map key.
 */
import { keyGroupFor, type KeyGroupRange } from '../../key-groups.js';
import type { KeyedStateStore, KeyedStateStoreKey, KeyedStateStoreSnapshot } from '../contract.js';
import { fromStateKey, HeapKeyedStateBackend } from './keyed-state-backend.js';
import { addTimers, nextTurn, REMOVED_ENTRY, TIMERS_REPLACED, writeKeyGroups, type ChunkSink, type KeyedSnapshotWriter, type KeyedStateSnapshotResult, type KeyedTimer } from './keyed-state-snapshot.js';
import { StateTable } from './state-table.js';
import type { StateKind } from '../../state.js';

/** Looked up in the store: there is no entry. */
const ABSENT: unique symbol = Symbol('eddy.storeAbsent');
/** Deleted in this batch: the entry is removed at the end of the batch. */
const REMOVED: unique symbol = Symbol('eddy.storeRemoved');
/**
 * Entries cached (read or written) after which the end of an input batch writes them out. LMDB
 * copies every page a write transaction touches, so a transaction of a few hundred keys spread
 * over the key space costs nearly as much as one of thousands: measured with 1 M keys, 20,000
 * entries a transaction ran about 3x faster than 2,000.
 */
const FLUSH_CACHED_ENTRIES = 16_384;
/** Entries after which a point between timers or restored key groups writes them out: bounds the heap the cache takes. */
const MAX_CACHED_ENTRIES = 65_536;

/** (key group, state index, store key) of an entry written since a snapshot. */
type ChangedEntry = [number, number, KeyedStateStoreKey];
/** What an incremental snapshot writes: the written entries by key group, and the key groups whose timers it replaces. */
interface ChangeLog {
  readonly entries: ReadonlyMap<number, readonly ChangedEntry[]>;
  readonly timerGroups: ReadonlySet<number>;
}

const UNDEFINED_KEY = '\u0000u';
const NULL_KEY = '\u0000z';
const BIGINT_KEY_TAG = '\u0000n:';

/** A state key (see toStateKey) as the store keeps it. */
export function toStoreKey(stateKey: unknown): KeyedStateStoreKey {
  switch (typeof stateKey) {
    case 'string':
    case 'number':
    case 'boolean':
      return stateKey;
    case 'undefined':
      return UNDEFINED_KEY;
    case 'bigint':
      return BIGINT_KEY_TAG + stateKey.toString();
    case 'object':
      if (stateKey === null) return NULL_KEY;
  }
  throw new TypeError(`a key of keyed state must be a string, number, boolean, bigint, null, undefined, array or plain object, got a ${typeof stateKey}`);
}

export function fromStoreKey(storeKey: KeyedStateStoreKey): unknown {
  if (typeof storeKey !== 'string' || !storeKey.startsWith('\u0000')) return storeKey;
  if (storeKey === UNDEFINED_KEY) return undefined;
  if (storeKey === NULL_KEY) return null;
  if (storeKey.startsWith(BIGINT_KEY_TAG)) return BigInt(storeKey.slice(BIGINT_KEY_TAG.length));
  return storeKey;
}

export class StoreKeyedStateBackend extends HeapKeyedStateBackend {
  /** The key group of the current key (the store's key prefix), set with the key. */
  currentKeyGroup = 0;
  /** Entries in the tables' caches. */
  cachedEntries = 0;
  private readonly storeTables: StoreStateTable[] = [];
  private disposed = false;
  /** Incremental: the entries written since the last snapshot, by changeId. */
  private changedEntries = new Map<string, ChangedEntry>();
  /** Incremental: the snapshots taken since the base, with the entries written before each and their timers' key groups. */
  private readonly deltas: { readonly checkpointId: number; readonly savepoint: boolean; readonly changed: Map<string, ChangedEntry>; readonly timerGroups: Set<number> }[] = [];
  /** The last completed checkpoint this backend took a snapshot for; undefined: none yet (snapshots are full). */
  private base: { readonly checkpointId: number; readonly timerGroups: Set<number> } | undefined;

  /** `incremental`: execution.checkpointing.incremental (see snapshot()). */
  constructor(
    maxParallelism: number,
    keyGroupRange: KeyGroupRange,
    readonly store: KeyedStateStore,
    readonly incremental = false,
    operatorUid = 'unknown',
  ) {
    super(maxParallelism, keyGroupRange, operatorUid);
  }

  override setCurrentKey(key: unknown): void {
    super.setCurrentKey(key);
    this.currentKeyGroup = keyGroupFor(key, this.maxParallelism);
  }

  override setCurrentStateKey(stateKey: unknown, key: unknown): void {
    super.setCurrentStateKey(stateKey, key);
    this.currentKeyGroup = keyGroupFor(key, this.maxParallelism);
  }

  /** The key group of a state key: the current key's, or computed for another key. */
  keyGroupOf(stateKey: unknown): number {
    return stateKey === this.currentStateKey ? this.currentKeyGroup : keyGroupFor(fromStateKey(stateKey), this.maxParallelism);
  }

  protected override createTable(name: string, kind: StateKind): StateTable {
    const table = new StoreStateTable(name, kind, this, this.storeTables.length);
    this.storeTables.push(table);
    return table;
  }

  /** Writes the cached entries out once there are many: one write transaction with every changed entry and every object read. */
  override endOfBatch(): void {
    if (this.cachedEntries >= FLUSH_CACHED_ENTRIES) this.flush();
  }

  override flushIfLarge(): void {
    if (this.cachedEntries >= MAX_CACHED_ENTRIES) this.flush();
  }

  flush(): void {
    if (this.disposed) return;
    const tables = this.storeTables;
    let writes = false;
    for (const table of tables) if (table.hasWrites()) writes = true;
    if (writes) {
      this.store.transaction(() => {
        for (const table of tables) table.writeOut();
      });
    }
    for (const table of tables) table.clearCache();
    this.cachedEntries = 0;
  }

  /**
   * The synchronous part of a snapshot: the batch written out, a read view of the store taken.
   * Incremental, once a checkpoint of this backend completed: the snapshot writes only the key
   * groups written since that checkpoint (over every snapshot since, completed or not), and those
   * with timers now or then (timers live on the heap and change without the store).
   */
  snapshot(timers: readonly KeyedTimer[], checkpointId = 0, savepoint = false): KeyedSnapshotWriter {
    this.flush();
    let changes: ChangeLog | undefined;
    if (this.incremental) {
      const timerGroups = new Set<number>();
      for (const timer of timers) timerGroups.add(keyGroupFor(timer.key, this.maxParallelism));
      this.deltas.push({ checkpointId, savepoint, changed: this.changedEntries, timerGroups });
      this.changedEntries = new Map();
      if (this.base !== undefined && !savepoint) {
        const entries = new Map<number, ChangedEntry[]>();
        const seen = new Set<string>();
        for (const delta of this.deltas) {
          for (const [id, entry] of delta.changed) {
            if (seen.has(id)) continue;
            seen.add(id);
            let list = entries.get(entry[0]);
            if (list === undefined) entries.set(entry[0], (list = []));
            list.push(entry);
          }
        }
        changes = { entries, timerGroups: new Set([...this.base.timerGroups, ...timerGroups]) };
      }
    }
    return new StoreKeyedStateSnapshot(this, this.store.snapshot(), timers, changes);
  }

  /** Incremental: (key group, state, key) was written in this batch. */
  noteWritten(keyGroup: number, state: number, key: KeyedStateStoreKey): void {
    this.changedEntries.set(`${keyGroup}\u0001${state}\u0001${typeof key === 'string' ? 's' : typeof key === 'number' ? 'n' : 'b'}${String(key)}`, [keyGroup, state, key]);
  }

  /**
   * Checkpoint N completed: the base of the next incremental snapshots, if this backend took a
   * snapshot for it and it is not a savepoint (a savepoint is full and canonical, owned by the user:
   * no checkpoint may refer to its files, as in Flink).
   */
  notifyCheckpointComplete(checkpointId: number): void {
    const delta = this.deltas.find((d) => d.checkpointId === checkpointId);
    if (delta === undefined || delta.savepoint || (this.base !== undefined && this.base.checkpointId >= checkpointId)) return;
    this.base = { checkpointId, timerGroups: delta.timerGroups };
    const index = this.deltas.indexOf(delta);
    this.deltas.splice(0, index + 1);
  }

  /** Every state, in the order of their indexes in the store. */
  states(): { name: string; kind: string }[] {
    return this.storeTables.map(({ name, kind }) => ({ name, kind }));
  }

  override forEachEntryByKeyGroup(visitor: (keyGroup: number, stateName: string, key: unknown, value: unknown) => void): void {
    this.flush();
    const view = this.store.snapshot();
    try {
      for (let group = this.keyGroupRange.startKeyGroup; group <= this.keyGroupRange.endKeyGroup; group++) {
        view.forEachInKeyGroup(group, (state, storeKey, value) => {
          const table = this.storeTables[state];
          if (table === undefined) return;
          visitor(group, table.name, fromStateKey(fromStoreKey(storeKey)), value);
        });
      }
    } finally {
      view.release();
    }
  }

  override dispose(): void {
    this.disposed = true;
    for (const table of this.storeTables) table.clearCache();
    this.cachedEntries = 0;
    super.dispose();
  }
}

/**
 * One state's entries in the store, with the batch cache described in the file comment. Keys are
 * state keys (toStateKey), as in the heap's StateTable.
 *
 * The cache is one Map from state key to a slot, and the slots' key, key group, value (ABSENT,
 * REMOVED or the value) and whether the batch wrote them in parallel arrays: one hash lookup per
 * access and nothing allocated per entry. The arrays are reused from batch to batch.
 */
class StoreStateTable extends StateTable {
  /** state key -> slot; emptied when the batch is written out. */
  private readonly slots = new Map<unknown, number>();
  private readonly keys: unknown[] = [];
  private readonly values: unknown[] = [];
  private groups = new Int32Array(1024);
  /** 1: written in this batch (set or delete). */
  private written = new Uint8Array(1024);
  /** Slots in use. */
  private used = 0;
  /** Slots written in this batch. */
  private writes = 0;

  constructor(
    name: string,
    kind: string,
    private readonly backend: StoreKeyedStateBackend,
    private readonly index: number,
  ) {
    super(name, kind);
  }

  override get(key: unknown): unknown {
    const slot = this.slots.get(key);
    if (slot === undefined) return this.load(key);
    const cached = this.values[slot];
    return cached === ABSENT || cached === REMOVED ? undefined : cached;
  }

  override set(key: unknown, value: unknown): void {
    this.write(key, value);
  }

  override delete(key: unknown): void {
    this.write(key, REMOVED);
  }

  override has(key: unknown): boolean {
    return this.get(key) !== undefined;
  }

  /** The entries as they are in the store after this batch (a walk over every key: rare, not on the record path). */
  override *entries(): IterableIterator<[unknown, unknown]> {
    this.backend.flush();
    const view = this.backend.store.snapshot();
    const { startKeyGroup, endKeyGroup } = this.backend.keyGroupRange;
    try {
      for (let group = startKeyGroup; group <= endKeyGroup; group++) {
        const entries: [unknown, unknown][] = [];
        view.forEachInKeyGroup(group, (state, storeKey, value) => {
          if (state === this.index) entries.push([fromStoreKey(storeKey), value]);
        });
        yield* entries;
      }
    } finally {
      view.release();
    }
  }

  override clear(): void {
    const keys = [...this.entries()].map(([key]) => key);
    for (const key of keys) this.delete(key);
    this.backend.flush();
  }

  override snapshot(): ReadonlyMap<unknown, unknown> {
    throw new Error('internal error: a table of the keyed state store is snapshotted through StoreKeyedStateBackend.snapshot()');
  }

  override release(): void {}

  hasWrites(): boolean {
    if (this.writes > 0) return true;
    const values = this.values;
    for (let slot = 0; slot < this.used; slot++) {
      const value = values[slot];
      if (typeof value === 'object' && value !== null) return true;
    }
    return false;
  }

  /** Inside the batch's write transaction: changed entries, and objects read (they may have been changed in place). */
  writeOut(): void {
    const { store, incremental } = this.backend;
    const { keys, values, groups, written, index } = this;
    for (let slot = 0; slot < this.used; slot++) {
      const value = values[slot];
      if (value === ABSENT) continue;
      if (written[slot] === 0 && (typeof value !== 'object' || value === null)) continue;
      const group = groups[slot] as number;
      const storeKey = toStoreKey(keys[slot]);
      if (incremental) this.backend.noteWritten(group, index, storeKey);
      if (value === REMOVED) store.remove(group, index, storeKey);
      else store.put(group, index, storeKey, value);
    }
  }

  clearCache(): void {
    this.slots.clear();
    // Drop the references (the arrays keep their length; slots past `used` are never read).
    this.keys.fill(undefined, 0, this.used);
    this.values.fill(undefined, 0, this.used);
    this.written.fill(0, 0, this.used);
    this.used = 0;
    this.writes = 0;
  }

  private write(key: unknown, value: unknown): void {
    let slot = this.slots.get(key);
    if (slot === undefined) slot = this.add(key, this.backend.keyGroupOf(key), value);
    else this.values[slot] = value;
    if (this.written[slot] === 0) {
      this.written[slot] = 1;
      this.writes++;
    }
  }

  private load(key: unknown): unknown {
    const group = this.backend.keyGroupOf(key);
    const stored = this.backend.store.get(group, this.index, toStoreKey(key));
    this.add(key, group, stored === undefined ? ABSENT : stored);
    return stored;
  }

  /** A new slot for `key` (not cached yet). */
  private add(key: unknown, group: number, value: unknown): number {
    const slot = this.used++;
    if (slot === this.groups.length) {
      const groups = new Int32Array(slot * 2);
      groups.set(this.groups);
      this.groups = groups;
      const written = new Uint8Array(slot * 2);
      written.set(this.written);
      this.written = written;
    }
    this.slots.set(key, slot);
    this.keys[slot] = key;
    this.values[slot] = value;
    this.groups[slot] = group;
    this.backend.cachedEntries++;
    return slot;
  }
}

/** A read view of the store with the timers of the barrier, written in EKS1 later. */
class StoreKeyedStateSnapshot implements KeyedSnapshotWriter {
  readonly keyGroupStart: number;
  readonly keyGroupEnd: number;
  private readonly states: { name: string; kind: string; type?: unknown }[];
  private released = false;

  constructor(
    private readonly backend: StoreKeyedStateBackend,
    private readonly view: KeyedStateStoreSnapshot,
    private readonly timers: readonly KeyedTimer[],
    /** Incremental: what to write instead of every entry; undefined: a full snapshot. */
    private readonly changes: ChangeLog | undefined,
  ) {
    this.keyGroupStart = backend.keyGroupRange.startKeyGroup;
    this.keyGroupEnd = backend.keyGroupRange.endKeyGroup;
    this.states = backend.stateMetaInfos().map(({ name, kind, type }) => (type === undefined ? { name, kind } : { name, kind, type }));
  }

  write(sink: ChunkSink, yieldTurn: () => Promise<void> = nextTurn, full = false): Promise<KeyedStateSnapshotResult> {
    const start = this.keyGroupStart;
    const timerBuckets: unknown[][] = Array.from({ length: this.keyGroupEnd - start + 1 }, () => []);
    addTimers(timerBuckets, this.timers, start, this.backend.maxParallelism);
    const changes = full ? undefined : this.changes;
    const header = { maxParallelism: this.backend.maxParallelism, keyGroupStart: start, keyGroupEnd: this.keyGroupEnd, states: this.states, ...(changes === undefined ? {} : { changes: true as const }) };
    const entriesOf = (group: number): unknown[] => {
      if (this.released) throw new Error('the snapshot of the keyed state store was released (the task ended) before it was written');
      const entries: unknown[] = [];
      const timers = timerBuckets[group - start] as unknown[];
      if (changes === undefined) {
        this.view.forEachInKeyGroup(group, (state, storeKey, value) => {
          entries.push(state, fromStateKey(fromStoreKey(storeKey)), value);
        });
        for (const part of timers) entries.push(part);
        return entries;
      }
      if (changes.timerGroups.has(group)) {
        entries.push(TIMERS_REPLACED, null, null);
        for (const part of timers) entries.push(part);
      }
      for (const [, state, storeKey] of changes.entries.get(group) ?? []) {
        const value = this.view.get(group, state, storeKey);
        const key = fromStateKey(fromStoreKey(storeKey));
        if (value === undefined) entries.push(REMOVED_ENTRY, key, state);
        else entries.push(state, key, value);
      }
      return entries;
    };
    return writeKeyGroups(sink, header, entriesOf, yieldTurn);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.view.release();
  }
}
