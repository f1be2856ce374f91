/**
 * The keyed state stores of a task with `state.backend.type: lmdb`: one LMDB environment per keyed
 * operator (the `lmdb` package; its linux, macOS and Windows binaries come as optional npm packages,
 * nothing is compiled at install), in the task's local directory, which close() removes.
 *
 * LMDB fits the record path: a get is a synchronous read of a memory-mapped B+tree (no promise, no
 * copy until the value is decoded), a write transaction per input batch is cheap, and a read
 * transaction is a consistent view for as long as it is open, which is what a snapshot needs.
 * Environments are opened with noSync (the state is rebuilt from a checkpoint after a failure;
 * nothing needs to reach the disk). Values are encoded by lmdb's msgpackr with structured clone
 * (Map, Set, Date, bigint, typed arrays, undefined kept): several times faster than node:v8's
 * serializer for the small values keyed state holds (measured: 1 M get+put of [key, count] at
 * ~200 k/s against ~50 k/s). Keys are (key group, state, key) in a compact binary layout of
 * our own (lmdb-store-keys.ts), so a key group is one contiguous range. The known trap: a worker thread that ends with an environment
 * open can hang the process when it is terminated, so close() awaits `db.flushed` and `db.close()`
 * before the task's thread ends.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { open, type Database, type RootDatabase, type Transaction } from 'lmdb';
import type { KeyedStateStore, KeyedStateStoreKey, KeyedStateStores, KeyedStateStoreSnapshot } from '@eddy/api/internal';
import { storeKeyEncoder, type StoreKey } from './lmdb-store-keys.js';

/** Where msgpackr keeps the record structures it shares between values (not a key range of state). */
const STRUCTURES_KEY = Symbol.for('eddy.structures');
/** msgpackr options lmdb passes on (not in its types): keep Map, Set, Date, typed arrays and any bigint. */
const MSGPACK_OPTIONS = { structuredClone: true, useBigIntExtension: true } as Record<string, unknown>;

export class LmdbStateStores implements KeyedStateStores {
  readonly type = 'lmdb';
  readonly #stores: LmdbStateStore[] = [];
  #closed = false;

  /** What the task's keyed operators may keep decoded on the heap (KeyedStateStores.cacheBytes). */
  readonly cacheBytes: number;

  /**
   * `directory` is the task attempt's own: created by the first open(), removed by close().
   * `cacheBytes`: state.backend.lmdb.cache.size, at most a quarter of this thread's heap limit, so
   * a small task heap (state larger than the heap) keeps room for everything else.
   */
  constructor(
    readonly directory: string,
    cacheBytes = 0,
  ) {
    this.cacheBytes = Math.max(0, Math.min(cacheBytes, Math.floor(getHeapStatistics().heap_size_limit / 4)));
  }

  open(operatorId: string): KeyedStateStore {
    if (this.#closed) throw new Error(`the keyed state stores in ${this.directory} are closed (the task ended)`);
    mkdirSync(this.directory, { recursive: true });
    const path = join(this.directory, `${operatorId.replace(/[^A-Za-z0-9_.-]/g, '_')}-${this.#stores.length}.mdb`);
    let db: RootDatabase<unknown, StoreKey>;
    try {
      db = open<unknown, StoreKey>({ path, noSync: true, encoding: 'msgpack', keyEncoder: storeKeyEncoder(STRUCTURES_KEY), sharedStructuresKey: STRUCTURES_KEY, compression: false, cache: false, ...MSGPACK_OPTIONS });
    } catch (error) {
      throw new Error(`could not open the LMDB environment of operator ${operatorId} in ${path}: ${(error as Error).message}; check taskmanager.state.local.root-dirs (or io.tmp.dirs)`, { cause: error });
    }
    const store = new LmdbStateStore(db);
    this.#stores.push(store);
    return store;
  }

  /** Closes every environment (after their pending writes) and removes the directory. Never rejects. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const store of this.#stores) await store.close();
    rmSync(this.directory, { recursive: true, force: true });
  }
}

class LmdbStateStore implements KeyedStateStore {
  readonly #db: Database<unknown, StoreKey>;
  readonly #views = new Set<LmdbSnapshot>();
  #closed = false;

  readonly startedEmpty: boolean;

  constructor(db: RootDatabase<unknown, StoreKey>) {
    this.#db = db;
    this.startedEmpty = (db.getStats() as { entryCount?: number }).entryCount === 0;
  }

  get(keyGroup: number, state: number, key: KeyedStateStoreKey): unknown {
    return this.#db.get([keyGroup, state, key]);
  }

  transaction(writes: () => void): void {
    this.#checkOpen();
    this.#db.transactionSync(writes);
  }

  put(keyGroup: number, state: number, key: KeyedStateStoreKey, value: unknown): void {
    // Inside transactionSync() a put writes at once (no promise to wait for).
    void this.#db.put([keyGroup, state, key], value);
  }

  remove(keyGroup: number, state: number, key: KeyedStateStoreKey): void {
    this.#db.removeSync([keyGroup, state, key]);
  }

  snapshot(): KeyedStateStoreSnapshot {
    this.#checkOpen();
    const view = new LmdbSnapshot(this.#db, this.#db.useReadTransaction(), (done) => this.#views.delete(done));
    this.#views.add(view);
    return view;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const view of [...this.#views]) view.release();
    try {
      await this.#db.flushed;
    } finally {
      await this.#db.close();
    }
  }

  #checkOpen(): void {
    if (this.#closed) throw new Error('the keyed state store is closed (the task ended)');
  }
}

class LmdbSnapshot implements KeyedStateStoreSnapshot {
  #released = false;

  constructor(
    private readonly db: Database<unknown, StoreKey>,
    private readonly transaction: Transaction,
    private readonly onRelease: (view: LmdbSnapshot) => void,
  ) {}

  get(keyGroup: number, state: number, key: KeyedStateStoreKey): unknown {
    if (this.#released) throw new Error('the snapshot of the keyed state store was released (the task ended) before it was read');
    return this.db.get([keyGroup, state, key], { transaction: this.transaction });
  }

  forEachInKeyGroup(keyGroup: number, visit: (state: number, key: KeyedStateStoreKey, value: unknown) => void): void {
    if (this.#released) throw new Error('the snapshot of the keyed state store was released (the task ended) before it was read');
    for (const { key, value } of this.db.getRange({ start: [keyGroup], end: [keyGroup + 1], transaction: this.transaction })) {
      visit(key[1] as number, key[2] as KeyedStateStoreKey, value);
    }
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.transaction.done();
    this.onRelease(this);
  }
}
