import assert from 'node:assert/strict';
import type { KeyedSnapshotWriter, RestoredKeyedState } from '../../src/internal/state/keyed-state-snapshot.js';

/** Writes a snapshot into memory the way the runtime does, chunk by chunk. */
/** Writes `snapshot` into memory; `yieldTurn` runs between its slices (none by default). */
export async function writeToMemory(snapshot: KeyedSnapshotWriter, yieldTurn: () => Promise<void> = async () => undefined): Promise<RestoredKeyedState> {
  const chunks: Uint8Array[] = [];
  const result = await snapshot.write((chunk) => void chunks.push(chunk), yieldTurn);
  const bytes = Buffer.concat(chunks);
  assert.equal(bytes.byteLength, result.size);
  return { keyGroupStart: result.keyGroupStart, keyGroupEnd: result.keyGroupEnd, offsets: result.offsets, bytes, where: 'test snapshot' };
}
