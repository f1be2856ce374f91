/**
 * Keyed state in the task's keyed state store (`state.backend.type: lmdb`; the runtime opens an
 * LMDB environment per keyed operator, see ChainContext.keyedStateStores), for state larger than
 * the task's heap. Flink's EmbeddedRocksDBStateBackend in JavaScript terms.
 *
 * The operators and state handles are the heap backend's: each state is a StateTable, here one
 * whose entries live in the store, keyed (key group, state index, key) so a key group is one
 * contiguous range. Reads are synchronous store gets. A table keeps the entries it read and wrote in
 * a cache of decoded values (so a value changed in place, `acc.count++`, is kept as on the heap, and
 * a key read twice is decoded once), written back: a changed entry, and every object handed out (it
 * may have been changed in place), goes to the store when it leaves the cache. The cache is bounded by an estimate of its bytes on the heap, shared by the task's keyed operators
 * (KeyedStateStores.cacheBytes, state.backend.lmdb.cache.size): at the end of an input batch
 * (endOfBatch: the chain calls it after every input batch and watermark, the timer service after
 * fired timers), once it holds at least FLUSH_CACHED_ENTRIES entries and more bytes than that,
 * entries not used since the last round (a clock over the slots) leave it until it holds
 * EVICT_TO of its bytes, the changed ones written in ONE write transaction. With no bytes (0) an
 * entry is kept only until the batch is written out. A full cache that finds few of its reads
 * shrinks for a while (StateCacheBudget). Hot keys stay decoded across batches, and a
 * key counted many times between two rounds is written once. A store that started empty is known:
 * a Bloom filter of what the backend wrote to it (store-key-filter.ts) answers most reads of new
 * keys without a get. Nothing per record allocates a promise.
 *
 * A snapshot's synchronous part is O(1): it takes a read transaction of the store and freezes the
 * cache's changed entries by copy-on-write (Flink's CopyOnWriteStateMap idea, on the cache): every
 * slot remembers the snapshot epoch in which it was last changed, so an entry changed before the
 * barrier and not written out is "pending" for the snapshot without being visited. Until the
 * snapshot has collected its pending entries, the first change of one (a write, an object handed
 * out, a write-out to the store, an eviction) first copies its barrier-time value into the
 * snapshot's overlay (BarrierOverlay). The asynchronous part collects the rest, a slice of slots a
 * turn, then reads key group after key group from the view with the overlay over it, and writes the
 * canonical EKS1 format (keyed-state-snapshot.ts), the same bytes the heap backend writes, so a
 * checkpoint of either backend restores into the other, at any parallelism. Nothing is written to
 * the store at the barrier: the write transactions stay one per input batch at most.
 *
 * Incremental checkpoints (execution.checkpointing.incremental; FLIP-158's idea, by key): the
 * backend remembers which entries it wrote out and which of the cache's a snapshot collected (by
 * their stamps, those changed since the base), and once a checkpoint it took a snapshot for
 * completed, a snapshot writes a change log: the current value (or the removal) of every entry
 * changed since that checkpoint, over every snapshot since, completed or not, plus the timers of
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
import { copyStateValue, StateTable } from './state-table.js';
import { StoreKeyFilter } from './store-key-filter.js';
import type { StateKind } from '../../state.js';

/** Looked up in the store: there is no entry. */
const ABSENT: unique symbol = Symbol('eddy.storeAbsent');
/** Deleted in this batch: the entry is removed at the end of the batch. */
const REMOVED: unique symbol = Symbol('eddy.storeRemoved');
/**
 * Entries cached after which the end of an input batch makes room (when the cache is over its
 * bytes). LMDB copies every page a write transaction touches, so a transaction of a few hundred keys
 * spread over the key space costs nearly as much as one of thousands: measured with 1 M keys,
 * 20,000 entries a transaction ran about 3x faster than 2,000.
 */
const FLUSH_CACHED_ENTRIES = 16_384;
/** Entries after which a point between timers or restored key groups makes room: bounds the heap the cache takes. */
const MAX_CACHED_ENTRIES = 65_536;
/** A round of eviction leaves the cache at this share of its bytes, so the next one is a while away and its transaction large. */
const EVICT_TO = 0.75;
/** The heap an entry takes besides its value (estimated): its Map entry, its slot in the tables' arrays, a number or short key. */
const ENTRY_BYTES = 96;
/** Slots a snapshot's asynchronous part looks at between two turns of the task's thread while it collects its pending entries. */
const COLLECT_SLICE = 16_384;

/** Below this share of reads found in the cache, a full cache is not worth its cost (see StateCacheBudget). */
const THRASH_HIT_RATIO = 0.1;
/** The cache's bytes while it does not earn its cost (about 24,000 entries of counters). */
const SMALL_CACHE_BYTES = 4 * 1024 * 1024;
/** Reads at the small size, in multiples of those that judged the full size, before the full size is tried again. */
const PROBE_AFTER = 16;

/**
 * The cache's bytes, shared by the keyed operators of a task (see KeyedStateStores.cacheBytes),
 * and whether the cache earns its cost.
 *
 * A cache that is full and finds under THRASH_HIT_RATIO of its reads (a working set far larger
 * than it, walked without locality: every key once, then again) only adds the cost of a large Map
 * to every record: measured with 10 M keys, half the throughput of no cache. So once full, after
 * as many reads as it holds entries, a cache that found too few of them shrinks to
 * SMALL_CACHE_BYTES (`effectiveBytes`); after PROBE_AFTER times as many reads it grows back to its
 * limit and is judged again, so a working set that changed to fit is found.
 */
export class StateCacheBudget {
  usedBytes = 0;
  usedEntries = 0;
  /** What the cache may hold now: limitBytes, or SMALL_CACHE_BYTES while it does not earn its cost. */
  effectiveBytes: number;
  /** Reads found in the cache, and reads that went to the store (or the filter), since the last judgement. */
  hits = 0;
  misses = 0;
  /** While small: the reads after which the full size is tried again. */
  private probeAfter = 0;

  constructor(readonly limitBytes: number) {
    this.effectiveBytes = limitBytes;
  }

  /** A round of eviction is due (the cache is full at its current size): judge whether it earns its cost. */
  review(): void {
    const entries = this.usedEntries;
    if (this.limitBytes <= SMALL_CACHE_BYTES) return;
    const reads = this.hits + this.misses;
    if (this.effectiveBytes === this.limitBytes) {
      if (reads < entries) return;
      if (this.hits < reads * THRASH_HIT_RATIO) {
        this.effectiveBytes = SMALL_CACHE_BYTES;
        this.probeAfter = PROBE_AFTER * reads;
      }
    } else {
      if (reads < this.probeAfter) return;
      this.effectiveBytes = this.limitBytes;
    }
    this.hits = 0;
    this.misses = 0;
  }
}

const budgets = new WeakMap<object, StateCacheBudget>();

/** The budget of the task whose stores these are: one per KeyedStateStores. */
export function stateCacheBudgetOf(stores: { readonly cacheBytes?: number }): StateCacheBudget {
  let budget = budgets.get(stores);
  if (budget === undefined) budgets.set(stores, (budget = new StateCacheBudget(Math.max(0, stores.cacheBytes ?? 0))));
  return budget;
}

/**
 * What a value takes on the heap, roughly (V8's object layouts, rounded up): for the cache's
 * bound, not an exact count. Large arrays, maps and objects are estimated from their first items.
 */
export function estimateHeapBytes(value: unknown, depth = 0): number {
  switch (typeof value) {
    case 'number':
      return 16;
    case 'string':
      return 24 + 2 * value.length;
    case 'bigint':
      return 32;
    case 'object':
      break;
    default:
      return 8;
  }
  if (value === null) return 8;
  if (depth > 4) return 256;
  if (Array.isArray(value)) {
    const length = value.length;
    const sampled = Math.min(length, 16);
    let items = 0;
    for (let i = 0; i < sampled; i++) items += estimateHeapBytes(value[i], depth + 1);
    return 32 + 8 * length + (sampled === 0 ? 0 : (items / sampled) * length);
  }
  if (value instanceof Map || value instanceof Set) {
    const size = value.size;
    let sampled = 0;
    let items = 0;
    for (const item of value instanceof Map ? value.entries() : value.values()) {
      items += Array.isArray(item) ? estimateHeapBytes(item[0], depth + 1) + estimateHeapBytes(item[1], depth + 1) : estimateHeapBytes(item, depth + 1);
      if (++sampled === 16) break;
    }
    return 64 + 40 * size + (sampled === 0 ? 0 : (items / sampled) * size);
  }
  if (ArrayBuffer.isView(value)) return 96 + value.byteLength;
  if (value instanceof Date) return 32;
  let count = 0;
  let items = 0;
  for (const key in value) {
    if (++count <= 16) items += 16 + estimateHeapBytes((value as Record<string, unknown>)[key], depth + 1);
  }
  return 32 + (count === 0 ? 0 : (items / Math.min(count, 16)) * count);
}

/** (key group, state index, store key) of an entry written since a snapshot. */
type ChangedEntry = [number, number, KeyedStateStoreKey];
/** What an incremental snapshot writes: the written entries by key group, and the key groups whose timers it replaces. */
interface ChangeLog {
  readonly entries: ReadonlyMap<number, readonly ChangedEntry[]>;
  readonly timerGroups: ReadonlySet<number>;
}

/** The snapshot an incremental delta belongs to: the entries written before it, and its timers' key groups. */
interface Delta {
  readonly checkpointId: number;
  /** The backend's epoch from this snapshot on: changes after its barrier are stamped with it. */
  readonly epoch: number;
  readonly savepoint: boolean;
  readonly changed: Map<string, ChangedEntry>;
  readonly timerGroups: Set<number>;
}

/**
 * The barrier-time values of a snapshot's pending entries (changed in the cache before the barrier,
 * not in the store's view): by key group, then state index, then state key. REMOVED: the entry is
 * absent at the barrier. Filled by copy-on-write and by the snapshot's collection (see the file
 * comment); read by the snapshot's asynchronous part over the store's view.
 */
class BarrierOverlay {
  readonly groups = new Map<number, Map<number, Map<unknown, unknown>>>();
  /** Every slot was looked at: nothing pending is left in the cache. */
  collected = false;

  constructor(
    /** The backend's snapshot epoch this overlay belongs to. */
    readonly epoch: number,
    /** Incremental: the delta of this snapshot, which gets the collected entries changed since `changedSince`. */
    readonly delta: Delta | undefined,
    /** Incremental: the epoch of the base checkpoint (0: none); an entry last changed before it is in the base already. */
    readonly changedSince: number,
  ) {}

  /** `value` was the entry's at the barrier; `changed`: the epoch of its last change. */
  preserve(group: number, state: number, stateKey: unknown, value: unknown, changed: number): void {
    let states = this.groups.get(group);
    if (states === undefined) this.groups.set(group, (states = new Map()));
    let entries = states.get(state);
    if (entries === undefined) states.set(state, (entries = new Map()));
    entries.set(stateKey, value);
    if (this.delta !== undefined && changed >= this.changedSince) {
      const storeKey = toStoreKey(stateKey);
      this.delta.changed.set(changeId(group, state, storeKey), [group, state, storeKey]);
    }
  }
}

/** The change log of an incremental snapshot: every entry of `deltas`, once, by key group. */
function changeLogOf(deltas: readonly Delta[], timerGroups: Set<number>): ChangeLog {
  const entries = new Map<number, ChangedEntry[]>();
  const seen = new Set<string>();
  for (const delta of deltas) {
    for (const [id, entry] of delta.changed) {
      if (seen.has(id)) continue;
      seen.add(id);
      let list = entries.get(entry[0]);
      if (list === undefined) entries.set(entry[0], (list = []));
      list.push(entry);
    }
  }
  return { entries, timerGroups };
}

/** The id of an entry in a delta's changes. */
function changeId(keyGroup: number, state: number, key: KeyedStateStoreKey): string {
  return `${keyGroup}\u0001${state}\u0001${typeof key === 'string' ? 's' : typeof key === 'number' ? 'n' : 'b'}${String(key)}`;
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
  /** Bytes (estimated) of the entries in the tables' caches; counted in the budget too. */
  cachedBytes = 0;
  private readonly storeTables: StoreStateTable[] = [];
  private disposed = false;
  /** The entries written to a store that started empty (store-key-filter.ts); undefined: every read goes to the store. */
  readonly written: StoreKeyFilter | undefined;
  /** Incremental: the entries written since the last snapshot, by changeId. */
  private changedEntries = new Map<string, ChangedEntry>();
  /** Incremental: the snapshots taken since the base, with the entries written before each and their timers' key groups. */
  private readonly deltas: Delta[] = [];
  /** Snapshots taken so far: the epoch a slot's last change is stamped with (see the file comment). */
  epoch = 0;
  /** The snapshot whose pending entries are still in the cache (copy-on-write is on); undefined: none. */
  collecting: BarrierOverlay | undefined;
  /** The last completed checkpoint this backend took a snapshot for; undefined: none yet (snapshots are full). */
  private base: { readonly checkpointId: number; readonly timerGroups: Set<number> } | undefined;
  /** Incremental: the epoch of the base's snapshot (0: none); entries last changed before it need no change log. */
  changesSince = 0;

  /**
   * `incremental`: execution.checkpointing.incremental (see snapshot()). `cache`: the bytes the
   * task's caches may hold (stateCacheBudgetOf); by default none (entries leave at the end of
   * their batch).
   */
  constructor(
    maxParallelism: number,
    keyGroupRange: KeyGroupRange,
    readonly store: KeyedStateStore,
    readonly incremental = false,
    operatorUid = 'unknown',
    readonly cache: StateCacheBudget = new StateCacheBudget(0),
  ) {
    super(maxParallelism, keyGroupRange, operatorUid);
    this.written = store.startedEmpty === true ? new StoreKeyFilter() : undefined;
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

  /** Makes room in the cache once it holds many entries and more bytes than the task's budget: one write transaction with the changed entries that leave it. */
  override endOfBatch(): void {
    if (this.overBudget(FLUSH_CACHED_ENTRIES)) this.evict();
  }

  override flushIfLarge(): void {
    if (this.overBudget(MAX_CACHED_ENTRIES)) this.evict();
  }

  /** Over the budget with at least `entries` cached (a transaction worth its cost), or by twice the budget (large values). */
  private overBudget(entries: number): boolean {
    const { usedBytes, effectiveBytes } = this.cache;
    return usedBytes > effectiveBytes && (this.cachedEntries >= entries || (effectiveBytes > 0 && usedBytes > 2 * effectiveBytes));
  }

  /** Writes every changed entry out (in one write transaction); they stay cached as far as the budget allows. */
  flush(): void {
    if (this.disposed) return;
    const tables = this.storeTables;
    let writes = false;
    for (const table of tables) if (table.dirty > 0) writes = true;
    if (writes) {
      this.store.transaction(() => {
        for (const table of tables) table.writeDirty();
      });
    }
    if (this.cache.usedBytes > this.cache.effectiveBytes) this.evict();
  }

  /**
   * Entries leave the caches, those not used since the last round first, until the task's caches
   * hold EVICT_TO of their budget (or this backend's hold nothing); the changed ones are written in
   * one transaction.
   */
  private evict(): void {
    if (this.disposed) return;
    const tables = this.storeTables;
    const cache = this.cache;
    cache.review();
    const target = cache.effectiveBytes * EVICT_TO;
    let writes = false;
    for (const table of tables) if (table.dirty > 0) writes = true;
    const run = (): void => {
      // Spread the bytes to free over the tables by their share of this backend's bytes; at most
      // FLUSH_CACHED_ENTRIES entries a round (larger write transactions measured slower).
      const over = cache.usedBytes - target;
      const total = this.cachedBytes;
      for (const table of tables) {
        if (cache.usedBytes <= target) break;
        if (target <= 0 || over >= total) table.evict(Infinity, Infinity);
        else table.evict(Math.ceil((over * table.bytes) / Math.max(1, total)), Math.ceil((FLUSH_CACHED_ENTRIES * table.bytes) / Math.max(1, total)));
      }
    };
    if (writes) this.store.transaction(run);
    else run();
  }

  /** A table's cache changed by `entries` and `bytes`. */
  noteCached(entries: number, bytes: number): void {
    this.cachedEntries += entries;
    this.cachedBytes += bytes;
    this.cache.usedBytes += bytes;
    this.cache.usedEntries += entries;
  }

  /**
   * The synchronous part of a snapshot, O(1) in the state: a read view of the store, and the
   * cache's changed entries frozen by copy-on-write (the file comment). Incremental, once a
   * checkpoint of this backend completed: the snapshot writes only the key groups written since
   * that checkpoint (over every snapshot since, completed or not), and those with timers now or
   * then (timers live on the heap and change without the store).
   */
  snapshot(timers: readonly KeyedTimer[], checkpointId = 0, savepoint = false): KeyedSnapshotWriter {
    // One snapshot collects at a time: one still collecting (checkpoints in flight together) finishes now.
    this.finishCollecting();
    let delta: Delta | undefined;
    let changes: (() => ChangeLog) | undefined;
    if (this.incremental) {
      const timerGroups = new Set<number>();
      for (const timer of timers) timerGroups.add(keyGroupFor(timer.key, this.maxParallelism));
      delta = { checkpointId, epoch: this.epoch + 1, savepoint, changed: this.changedEntries, timerGroups };
      this.deltas.push(delta);
      this.changedEntries = new Map();
      if (this.base !== undefined && !savepoint) {
        // Built once the snapshot collected its pending entries (they join its delta), off the barrier.
        const deltas = [...this.deltas];
        const baseTimerGroups = this.base.timerGroups;
        changes = () => changeLogOf(deltas, new Set([...baseTimerGroups, ...timerGroups]));
      }
    }
    const overlay = new BarrierOverlay(++this.epoch, delta, this.changesSince);
    let pending = false;
    for (const table of this.storeTables) if (table.dirty > 0) pending = true;
    if (pending) this.collecting = overlay;
    else overlay.collected = true;
    return new StoreKeyedStateSnapshot(this, this.store.snapshot(), timers, overlay, changes);
  }

  /**
   * A snapshot's asynchronous part: copies its pending entries still in the cache into its overlay,
   * COLLECT_SLICE slots a turn. Copy-on-write keeps the ones changed meanwhile.
   */
  async collect(overlay: BarrierOverlay, yieldTurn: () => Promise<void>): Promise<void> {
    for (const table of this.storeTables) {
      let from = 0;
      while (this.collecting === overlay) {
        from = table.collectPending(overlay, from, COLLECT_SLICE);
        if (from < 0) break;
        await yieldTurn();
      }
    }
    // Not collecting it any more without having finished: released, or the task ended (or a later snapshot finished it).
    if (this.collecting !== overlay) return;
    this.collecting = undefined;
    overlay.collected = true;
  }

  /** The snapshot still collecting collects the rest now (on the task's thread). */
  private finishCollecting(): void {
    const overlay = this.collecting;
    if (overlay === undefined) return;
    for (const table of this.storeTables) table.collectPending(overlay, 0, Infinity);
    overlay.collected = true;
    this.collecting = undefined;
  }

  /** A snapshot was released before it collected: copy-on-write stops (its entries stay pending for the next one). */
  abandon(overlay: BarrierOverlay): void {
    if (this.collecting === overlay) this.collecting = undefined;
  }

  /** Incremental: (key group, state, key) was written in this batch. */
  noteWritten(keyGroup: number, state: number, key: KeyedStateStoreKey): void {
    this.changedEntries.set(changeId(keyGroup, state, key), [keyGroup, state, key]);
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
    this.changesSince = delta.epoch;
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
    this.collecting = undefined;
    for (const table of this.storeTables) table.clearCache();
    super.dispose();
  }
}

/** Slot flag: changed since it was last written out (set or delete, or an object handed out). */
const DIRTY = 1;
/** Slot flag: used since the clock last passed it. */
const REFERENCED = 2;
/** A slot's value while it is free. */
const FREE: unique symbol = Symbol('eddy.storeFreeSlot');

/**
 * One state's entries in the store, with the cache described in the file comment. Keys are state
 * keys (toStateKey), as in the heap's StateTable.
 *
 * The cache is one Map from state key to a slot, and the slots' key, key group, value (ABSENT,
 * REMOVED or the value), estimated bytes and flags in parallel arrays: one hash lookup per access
 * and nothing allocated per entry. Freed slots are reused.
 */
class StoreStateTable extends StateTable {
  /** state key -> slot. */
  private readonly slots = new Map<unknown, number>();
  private readonly keys: unknown[] = [];
  private readonly values: unknown[] = [];
  private groups = new Int32Array(1024);
  private sizes = new Int32Array(1024);
  /** DIRTY | REFERENCED. */
  private flags = new Uint8Array(1024);
  /** The backend's snapshot epoch when the slot last changed: DIRTY and older than a collecting snapshot's epoch, it is pending for that snapshot. */
  private stamps = new Int32Array(1024);
  /** The epoch of the snapshot whose overlay holds the slot's value at its barrier (it is pending for it no more). */
  private held = new Int32Array(1024);
  /** Slots ever used (free ones among them). */
  private used = 0;
  private readonly free: number[] = [];
  /** The clock's position. */
  private hand = 0;
  /** Slots with DIRTY. */
  dirty = 0;
  /** Bytes (estimated) of the cached entries. */
  bytes = 0;

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
    if (slot === undefined) {
      this.backend.cache.misses++;
      return this.load(key);
    }
    this.backend.cache.hits++;
    const cached = this.values[slot];
    const flags = this.flags[slot] as number;
    if (typeof cached !== 'object' || cached === null) {
      this.flags[slot] = flags | REFERENCED;
      return cached === ABSENT || cached === REMOVED ? undefined : cached;
    }
    // Handed out: it may be changed in place, so it is written out, and its bytes may have grown.
    if ((flags & DIRTY) === 0) this.dirty++;
    else if (this.backend.collecting !== undefined) this.preservePending(slot, true);
    this.stamps[slot] = this.backend.epoch;
    this.flags[slot] = flags | DIRTY | REFERENCED;
    this.resize(slot, cached);
    return cached;
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

  /** Inside a write transaction: every changed entry, which stays cached (clean). */
  writeDirty(): void {
    const { values, flags } = this;
    for (let slot = 0; slot < this.used && this.dirty > 0; slot++) {
      const slotFlags = flags[slot] as number;
      if ((slotFlags & DIRTY) === 0) continue;
      this.writeOut(slot, true);
      flags[slot] = slotFlags & ~DIRTY;
      this.dirty--;
      if (values[slot] === REMOVED) values[slot] = ABSENT;
    }
  }

  /**
   * Inside a write transaction when there are changed entries: entries leave the cache until
   * `bytes` are freed or `entries` left (Infinity, Infinity: all of them), those used since the
   * clock last passed them on its second pass; the changed ones are written out.
   */
  evict(bytes: number, entries: number): void {
    if (bytes >= this.bytes && entries >= this.used - this.free.length) {
      for (let slot = 0; slot < this.used; slot++) if (((this.flags[slot] as number) & DIRTY) !== 0) this.writeOut(slot, false);
      this.clearCache();
      return;
    }
    const { flags, values, sizes } = this;
    const limit = this.used;
    let freed = 0;
    let evicted = 0;
    for (let step = 0; step < 2 * limit && freed < bytes && evicted < entries; step++) {
      const slot = this.hand;
      this.hand = slot + 1 === limit ? 0 : slot + 1;
      if (values[slot] === FREE) continue;
      const slotFlags = flags[slot] as number;
      if ((slotFlags & REFERENCED) !== 0) {
        flags[slot] = slotFlags & ~REFERENCED;
        continue;
      }
      if ((slotFlags & DIRTY) !== 0) {
        this.writeOut(slot, false);
        this.dirty--;
      }
      freed += sizes[slot] as number;
      evicted++;
      this.freeSlot(slot);
    }
  }

  /** Empties the cache, written out or not. */
  clearCache(): void {
    this.slots.clear();
    // Drop the references (the arrays keep their length; slots past `used` are never read).
    this.keys.fill(undefined, 0, this.used);
    this.values.fill(undefined, 0, this.used);
    this.flags.fill(0, 0, this.used);
    this.backend.noteCached(-(this.used - this.free.length), -this.bytes);
    this.used = 0;
    this.free.length = 0;
    this.hand = 0;
    this.dirty = 0;
    this.bytes = 0;
  }

  /**
   * Copies `slot`'s clean-before-the-change value into the overlay of the snapshot collecting, if it
   * is pending for it (DIRTY since before its barrier); `copy`: an object stays in the cache, where
   * it may be changed in place.
   */
  private preservePending(slot: number, copy: boolean): void {
    const overlay = this.backend.collecting;
    if (overlay === undefined || ((this.flags[slot] as number) & DIRTY) === 0 || (this.stamps[slot] as number) >= overlay.epoch || this.held[slot] === overlay.epoch) return;
    const value = this.values[slot];
    overlay.preserve(this.groups[slot] as number, this.index, this.keys[slot], copy ? copyStateValue(value) : value, this.stamps[slot] as number);
    this.held[slot] = overlay.epoch;
  }

  /**
   * A snapshot's collection: the pending entries of slots `from` to `from + count` into its overlay
   * (copies: they stay in the cache); returns where to go on, or -1 past the last slot.
   */
  collectPending(overlay: BarrierOverlay, from: number, count: number): number {
    const { flags, stamps, held, values } = this;
    const end = Math.min(this.used, from + count);
    const epoch = overlay.epoch;
    for (let slot = from; slot < end; slot++) {
      if (((flags[slot] as number) & DIRTY) === 0 || (stamps[slot] as number) >= epoch || held[slot] === epoch || values[slot] === FREE) continue;
      overlay.preserve(this.groups[slot] as number, this.index, this.keys[slot], copyStateValue(values[slot]), stamps[slot] as number);
      held[slot] = epoch;
    }
    return end >= this.used ? -1 : end;
  }

  /** Inside a write transaction: one entry to the store (copy-on-write first; `stays`: the slot stays cached). */
  private writeOut(slot: number, stays: boolean): void {
    if (this.backend.collecting !== undefined) this.preservePending(slot, stays);
    const value = this.values[slot];
    if (value === ABSENT) return;
    const group = this.groups[slot] as number;
    const storeKey = toStoreKey(this.keys[slot]);
    const store = this.backend.store;
    // Incremental: a change log needs the entry if it changed since the base (one changed before is in the base).
    if (this.backend.incremental && (this.stamps[slot] as number) >= this.backend.changesSince) this.backend.noteWritten(group, this.index, storeKey);
    if (value === REMOVED) store.remove(group, this.index, storeKey);
    else {
      this.backend.written?.add(this.index, storeKey);
      store.put(group, this.index, storeKey, value);
    }
  }

  private write(key: unknown, value: unknown): void {
    const slot = this.slots.get(key);
    if (slot === undefined) {
      this.add(key, this.backend.keyGroupOf(key), value, DIRTY | REFERENCED);
      this.dirty++;
      return;
    }
    if (this.backend.collecting !== undefined) this.preservePending(slot, false);
    this.stamps[slot] = this.backend.epoch;
    this.values[slot] = value;
    const flags = this.flags[slot] as number;
    if ((flags & DIRTY) === 0) this.dirty++;
    this.flags[slot] = flags | DIRTY | REFERENCED;
    this.resize(slot, value);
  }

  private load(key: unknown): unknown {
    const group = this.backend.keyGroupOf(key);
    const storeKey = toStoreKey(key);
    const written = this.backend.written;
    const stored = written === undefined || written.mightContain(this.index, storeKey) ? this.backend.store.get(group, this.index, storeKey) : undefined;
    if (stored === undefined) {
      this.add(key, group, ABSENT, REFERENCED);
      return undefined;
    }
    // An object is handed out: it may be changed in place.
    const object = typeof stored === 'object' && stored !== null;
    this.add(key, group, stored, object ? DIRTY | REFERENCED : REFERENCED);
    if (object) this.dirty++;
    return stored;
  }

  /** A new slot for `key` (not cached yet). */
  private add(key: unknown, group: number, value: unknown, flags: number): void {
    let slot = this.free.pop();
    if (slot === undefined) {
      slot = this.used++;
      if (slot === this.groups.length) this.grow(slot * 2);
    }
    const size = ENTRY_BYTES + (value === ABSENT || value === REMOVED ? 0 : estimateHeapBytes(value));
    this.slots.set(key, slot);
    this.keys[slot] = key;
    this.values[slot] = value;
    this.groups[slot] = group;
    this.flags[slot] = flags;
    this.stamps[slot] = this.backend.epoch;
    this.held[slot] = 0;
    this.sizes[slot] = size;
    this.bytes += size;
    this.backend.noteCached(1, size);
  }

  /** `value`, now in `slot`, may take other bytes. */
  private resize(slot: number, value: unknown): void {
    const size = ENTRY_BYTES + (value === ABSENT || value === REMOVED ? 0 : estimateHeapBytes(value));
    const change = size - (this.sizes[slot] as number);
    if (change === 0) return;
    this.sizes[slot] = size;
    this.bytes += change;
    this.backend.noteCached(0, change);
  }

  /** Frees a clean slot. */
  private freeSlot(slot: number): void {
    const size = this.sizes[slot] as number;
    this.slots.delete(this.keys[slot]);
    this.keys[slot] = undefined;
    this.values[slot] = FREE;
    this.flags[slot] = 0;
    this.free.push(slot);
    this.bytes -= size;
    this.backend.noteCached(-1, -size);
  }

  private grow(length: number): void {
    this.groups = lengthened(this.groups, new Int32Array(length));
    this.sizes = lengthened(this.sizes, new Int32Array(length));
    this.flags = lengthened(this.flags, new Uint8Array(length));
    this.stamps = lengthened(this.stamps, new Int32Array(length));
    this.held = lengthened(this.held, new Int32Array(length));
  }
}

/** `longer` with `array`'s items at its start. */
function lengthened<T extends Int32Array | Uint8Array>(array: T, longer: T): T {
  longer.set(array);
  return longer;
}

/** A read view of the store, the overlay of the cache's pending entries and the timers of the barrier, written in EKS1 later. */
class StoreKeyedStateSnapshot implements KeyedSnapshotWriter {
  readonly keyGroupStart: number;
  readonly keyGroupEnd: number;
  private readonly states: { name: string; kind: string; type?: unknown }[];
  private released = false;

  constructor(
    private readonly backend: StoreKeyedStateBackend,
    private readonly view: KeyedStateStoreSnapshot,
    private readonly timers: readonly KeyedTimer[],
    private readonly overlay: BarrierOverlay,
    /** Incremental: what to write instead of every entry (built once the overlay is collected); undefined: a full snapshot. */
    private readonly changes: (() => ChangeLog) | undefined,
  ) {
    this.keyGroupStart = backend.keyGroupRange.startKeyGroup;
    this.keyGroupEnd = backend.keyGroupRange.endKeyGroup;
    this.states = backend.stateMetaInfos().map(({ name, kind, type }) => (type === undefined ? { name, kind } : { name, kind, type }));
  }

  async write(sink: ChunkSink, yieldTurn: () => Promise<void> = nextTurn, full = false): Promise<KeyedStateSnapshotResult> {
    const overlay = this.overlay;
    if (!overlay.collected) await this.backend.collect(overlay, yieldTurn);
    if (this.released || !overlay.collected) throw new Error('the snapshot of the keyed state store was released (the task ended) before it was written');
    const start = this.keyGroupStart;
    const timerBuckets: unknown[][] = Array.from({ length: this.keyGroupEnd - start + 1 }, () => []);
    addTimers(timerBuckets, this.timers, start, this.backend.maxParallelism);
    const changes = full || this.changes === undefined ? undefined : this.changes();
    const header = { maxParallelism: this.backend.maxParallelism, keyGroupStart: start, keyGroupEnd: this.keyGroupEnd, states: this.states, ...(changes === undefined ? {} : { changes: true as const }) };
    const entriesOf = (group: number): unknown[] => {
      if (this.released) throw new Error('the snapshot of the keyed state store was released (the task ended) before it was written');
      const entries: unknown[] = [];
      const timers = timerBuckets[group - start] as unknown[];
      const pending = overlay.groups.get(group);
      if (changes === undefined) {
        this.view.forEachInKeyGroup(group, (state, storeKey, value) => {
          const stateKey = fromStoreKey(storeKey);
          if (pending?.get(state)?.has(stateKey) !== true) entries.push(state, fromStateKey(stateKey), value);
        });
        if (pending !== undefined) {
          for (const [state, values] of pending) {
            for (const [stateKey, value] of values) if (value !== REMOVED && value !== ABSENT) entries.push(state, fromStateKey(stateKey), value);
          }
        }
        for (const part of timers) entries.push(part);
        return entries;
      }
      if (changes.timerGroups.has(group)) {
        entries.push(TIMERS_REPLACED, null, null);
        for (const part of timers) entries.push(part);
      }
      for (const [, state, storeKey] of changes.entries.get(group) ?? []) {
        const stateKey = fromStoreKey(storeKey);
        const values = pending?.get(state);
        const value = values?.has(stateKey) === true ? values.get(stateKey) : this.view.get(group, state, storeKey);
        const key = fromStateKey(stateKey);
        if (value === undefined || value === REMOVED || value === ABSENT) entries.push(REMOVED_ENTRY, key, state);
        else entries.push(state, key, value);
      }
      return entries;
    };
    return writeKeyGroups(sink, header, entriesOf, yieldTurn);
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.backend.abandon(this.overlay);
    this.view.release();
  }
}
