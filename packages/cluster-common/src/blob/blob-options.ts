/**
 * Configuration options of the blob store, read by BlobServer (JobManager), BlobCache (TaskManager)
 * and the client that uploads job code.
 */
import { durationOption, formatMemorySize, memorySizeOption, stringOption } from '@eddy/common';
import { BlobError } from './blob-errors.js';

export const BlobOptions = {
  storageDirectory: stringOption({
    key: 'blob.storage.directory',
    defaultValue: '',
    description:
      "Directory where the JobManager's blob server keeps job code, one file per blob named by its sha256 key. " +
      'Empty: a fresh directory under the system temp directory, removed when the blob server closes.',
  }),
  chunkSize: memorySizeOption({
    key: 'blob.chunk-size',
    defaultBytes: 1024 * 1024,
    minBytes: 1024,
    description:
      'Size of the pieces a blob is moved in, one message each. Must stay well under rpc.max-message-size ' +
      '(on both sides): the blob server refuses to start otherwise.',
  }),
  maxSize: memorySizeOption({
    key: 'blob.max-size',
    defaultBytes: 256 * 1024 * 1024,
    minBytes: 1024,
    description:
      'Largest blob (job bundle) accepted. The client refuses to upload a larger one, and the blob server refuses it ' +
      'as soon as the upload announces or passes this size, before storing anything. Set it on both sides.',
  }),
  cleanupInterval: durationOption({
    key: 'blob.service.cleanup.interval',
    defaultMs: 60 * 60_000,
    minMs: 1,
    description:
      "How long a blob no job uses is kept, and how often the keeping is checked (Flink's key and default). The JobManager's " +
      'blob server releases a job\'s code when the job ends; a TaskManager\'s blob cache when it has no slot of the job left. ' +
      'A blob that another job still uses, or that was just uploaded or asked for, stays.',
  }),
  cacheMaxSize: memorySizeOption({
    key: 'blob.cache.max-size',
    defaultBytes: 1024 * 1024 * 1024,
    minBytes: 0,
    description:
      "Bound of a TaskManager's blob cache. When the cached blobs take more, the least recently used ones that no running job " +
      "needs are removed at once, without waiting for blob.service.cleanup.interval; blobs of running jobs are never removed, " +
      'so the cache may exceed the bound while they need more. Flink has no such bound.',
  }),
  transferTimeout: durationOption({
    key: 'blob.transfer.timeout',
    defaultMs: 60_000,
    minMs: 1,
    description: 'Deadline of a whole blob upload or download, including the check whether the blob is already stored.',
  }),
} as const;

/** Room a chunk message needs besides its data: the key, the total size and protobuf framing. */
export const CHUNK_OVERHEAD_BYTES = 1024;

/** Throws unless chunks of `chunkSize` bytes fit in messages of `maxMessageSize` bytes. */
export function checkChunkSize(chunkSize: number, maxMessageSize: number): void {
  if (chunkSize + CHUNK_OVERHEAD_BYTES > maxMessageSize) {
    throw new Error(
      `${BlobOptions.chunkSize.key} (${chunkSize} bytes) does not fit rpc.max-message-size (${maxMessageSize} bytes) with ` +
        `${CHUNK_OVERHEAD_BYTES} bytes to spare; lower ${BlobOptions.chunkSize.key} or raise rpc.max-message-size`,
    );
  }
}

/** A blob larger than blob.max-size, refused before anything was uploaded or stored. */
export class BlobTooLargeError extends BlobError {
  override readonly name = 'BlobTooLargeError';
  constructor(readonly fields: { readonly what: string; readonly sizeBytes: number; readonly maxSizeBytes: number; readonly where: string }) {
    super(
      `${fields.what} is ${(fields.sizeBytes / (1024 * 1024)).toFixed(1)} MiB (${fields.sizeBytes} bytes), larger than ${BlobOptions.maxSize.key} ` +
        `(${formatMemorySize(fields.maxSizeBytes)}) ${fields.where}; raise ${BlobOptions.maxSize.key} (on the client and the JobManager), or make it smaller`,
    );
  }
}
