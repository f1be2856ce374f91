/** Blob keys: the sha256 of a blob's content, as 64 lowercase hex digits. */
import { createHash } from 'node:crypto';
import { BlobError } from './blob-errors.js';

const BLOB_KEY = /^[0-9a-f]{64}$/;

/** Whether `s` has the form of a blob key (64 lowercase hex digits). */
export function isBlobKey(s: string): boolean {
  return BLOB_KEY.test(s);
}

/** The key of `bytes`: their sha256 in lowercase hex. */
export function blobKeyOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A string used as a blob key that is not one. */
export class InvalidBlobKeyError extends BlobError {
  override readonly name = 'InvalidBlobKeyError';
  constructor(readonly key: string) {
    super(`'${key.length > 80 ? `${key.slice(0, 80)}...` : key}' is not a blob key: expected the sha256 of the content as 64 lowercase hex digits`);
  }
}

/** Throws InvalidBlobKeyError unless `key` is a blob key. */
export function checkBlobKey(key: string): void {
  if (!isBlobKey(key)) throw new InvalidBlobKeyError(key);
}
