/**
 * Where a Kafka source starts reading a partition, or where a bounded one stops (Flink's
 * OffsetsInitializer). Plain data, so a job's source can be rebuilt in every task.
 */
export type OffsetResetStrategy = 'EARLIEST' | 'LATEST' | 'NONE';

export type OffsetsInitializer =
  | { readonly kind: 'earliest' }
  | { readonly kind: 'latest' }
  | { readonly kind: 'committed'; readonly reset: OffsetResetStrategy }
  | { readonly kind: 'timestamp'; readonly timestampMs: number };

export const OffsetsInitializer = {
  earliest: (): OffsetsInitializer => ({ kind: 'earliest' }),
  latest: (): OffsetsInitializer => ({ kind: 'latest' }),
  /** The group's committed offsets; where it has none, `reset` (NONE: fail). */
  committedOffsets: (reset: OffsetResetStrategy = 'NONE'): OffsetsInitializer => {
    if (reset !== 'EARLIEST' && reset !== 'LATEST' && reset !== 'NONE') throw new RangeError(`committedOffsets takes EARLIEST, LATEST or NONE, got ${String(reset)}`);
    return { kind: 'committed', reset };
  },
  /** The first record with a timestamp at or after `timestampMs` (epoch ms). */
  timestamp: (timestampMs: number): OffsetsInitializer => {
    if (!Number.isSafeInteger(timestampMs) || timestampMs < 0) throw new RangeError(`OffsetsInitializer.timestamp needs epoch milliseconds, got ${timestampMs}`);
    return { kind: 'timestamp', timestampMs };
  },
};
