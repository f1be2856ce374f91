/** Configuration options of the blob store, read by BlobServer (JobManager) and BlobCache (TaskManager). */
import { durationOption, memorySizeOption, stringOption } from '@eddy/common';

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
