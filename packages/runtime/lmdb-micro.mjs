// Micro: keyed counting through StoreKeyedStateBackend over the real LMDB store, one thread.
import { LmdbStateStores } from './dist/src/taskexecutor/state/lmdb-state-stores.js';
import { StoreKeyedStateBackend, stateCacheBudgetOf } from '../api/dist/src/internal/state/store-keyed-state-backend.js';
import { HeapKeyedStateBackend } from '../api/dist/src/internal/state/keyed-state-backend.js';
import { ValueStateDescriptor } from '../api/dist/src/index.js';
import { mkdtempSync } from 'node:fs';
const [keys = 1_000_000, mode = 'lmdb', cache = String(128 * 1024 * 1024)] = process.argv.slice(2);
const K = Number(keys);
const range = { startKeyGroup: 0, endKeyGroup: 127 };
let backend, stores;
if (mode === 'heap') backend = new HeapKeyedStateBackend(128, range);
else {
  stores = new LmdbStateStores(mkdtempSync('/tmp/micro/s'), Number(cache));
  backend = new StoreKeyedStateBackend(128, range, stores.open('op'), false, 'op', stateCacheBudgetOf(stores));
}
const state = backend.getValueState(new ValueStateDescriptor('sum'));
const records = 2 * K;
const t0 = performance.now(); const c0 = process.cpuUsage();
for (let i = 0; i < records; i++) {
  const key = i % K;
  backend.setCurrentKey(key);
  const v = state.value();
  if (v === undefined) state.update([key, 1]);
  else { v[1]++; state.update(v); }
  if (i % 1000 === 999) backend.endOfBatch();
}
const ms = performance.now() - t0; const cu = process.cpuUsage(c0); const cpuMs = (cu.user + cu.system) / 1000;
console.log(JSON.stringify({ mode, keys: K, cache: Number(cache), rate: Math.round(records / ms * 1000), cpuRate: Math.round(records / cpuMs * 1000), heapMB: Math.round(process.memoryUsage().heapUsed / 1e6) }));
if (stores) await stores.close();
