export * from './jobgraph/index.js';
export * from './job-status.js';
export * from './dispatcher-contract.js';
export { BlobOptions, CHUNK_OVERHEAD_BYTES, checkChunkSize, BlobTooLargeError } from './blob/blob-options.js';
export { BlobClient, type BlobClientOptions, type UploadedBlob } from './blob/blob-client.js';
export { blobKeyOf, isBlobKey, checkBlobKey, InvalidBlobKeyError } from './blob/blob-key.js';
export { BlobError, BlobIntegrityError, BlobTransferTimeoutError } from './blob/blob-errors.js';
export { fileSize, hashFile, writeFully } from './blob/blob-files.js';
export { createOwnedTempDir, createOwnedTempDirSync, isOwnerAlive, processStartTime, removeStaleTempDirs } from './owned-temp-dir.js';
