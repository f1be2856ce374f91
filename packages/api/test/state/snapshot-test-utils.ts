import assert from 'node:assert/strict';
import type { KeyedSnapshotWriter, RestoredKeyedState } from '../../src/internal/state/keyed-state-snapshot.js';

/** Writes a snapshot into memory the way the runtime does, chunk by chunk. */
export async function writeToMemory(snapshot: KeyedSnapshotWriter): Promise<RestoredKeyedState> {
  const chunks: Uint8Array[] = [];
  const result = await snapshot.write((chunk) => void chunks.push(chunk), async () => undefined);
  const bytes = Buffer.concat(chunks);
  assert.equal(bytes.byteLength, result.size);
  return { keyGroupStart: result.keyGroupStart, keyGroupEnd: result.keyGroupEnd, offsets: result.offsets, bytes, where: 'test snapshot' };
}
