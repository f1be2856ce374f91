/**
 * BlobClient: uploads blobs to, and downloads them from, the blob server of one JobManager.
 *
 * Uploads ask first whether the blob is stored and send nothing when it is; both directions move
 * the content in chunks, never whole, and the receiving side checks size and sha256 against the
 * key before it keeps anything. Stateless apart from its settings: every call opens its own
 * gRPC stream over the RpcService's shared channel to that JobManager.
 *
 * Errors: transport failures are the RpcError the RPC layer raised (RpcUnreachableError when the
 * JobManager cannot be reached; RpcCallError with the server's status and message otherwise, e.g.
 * NOT_FOUND for an unknown key, INVALID_ARGUMENT for a refused upload). A missed deadline is a
 * BlobTransferTimeoutError naming blob.transfer.timeout; content that does not match its key a
 * BlobIntegrityError; a blob larger than blob.max-size a BlobTooLargeError before anything is sent.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { eddy_blob_v1 as blob } from '@eddy/proto';
import { RpcTimeoutError, type RpcService } from '@eddy/rpc';
import { BlobError, BlobIntegrityError, BlobTransferTimeoutError } from './blob-errors.js';
import { hashFile, writeFully } from './blob-files.js';
import { blobKeyOf, checkBlobKey } from './blob-key.js';
import { BlobOptions, BlobTooLargeError, checkChunkSize } from './blob-options.js';

export interface BlobClientOptions {
  /** Size of the upload chunks; default blob.chunk-size's default (1 MiB). */
  readonly chunkSizeBytes?: number;
  /** Deadline of one whole upload or download; default blob.transfer.timeout's default (60 s). */
  readonly timeoutMs?: number;
  /** Largest blob uploaded (blob.max-size); a larger one is refused before anything is sent. Default blob.max-size's default. */
  readonly maxSizeBytes?: number;
}

/** The outcome of an upload. */
export interface UploadedBlob {
  /** sha256 of the content, in hex: what a TaskManager asks the blob server for. */
  readonly key: string;
  readonly size: number;
  /** False when the blob server already had the blob and nothing was sent. */
  readonly uploaded: boolean;
}

export class BlobClient {
  private readonly chunkSize: number;
  private readonly timeoutMs: number;
  private readonly maxSizeBytes: number;

  constructor(
    private readonly rpcService: RpcService,
    readonly jobManagerHostPort: string,
    options: BlobClientOptions = {},
  ) {
    this.chunkSize = options.chunkSizeBytes ?? BlobOptions.chunkSize.defaultValue;
    this.timeoutMs = options.timeoutMs ?? BlobOptions.transferTimeout.defaultValue;
    this.maxSizeBytes = options.maxSizeBytes ?? BlobOptions.maxSize.defaultValue;
  }

  /**
   * Uploads the file at `path` unless the blob server has its content already; reads it twice,
   * streaming. Rejects with BlobTooLargeError, before anything is sent, when it is larger than
   * blob.max-size.
   */
  async uploadFile(path: string): Promise<UploadedBlob> {
    checkChunkSize(this.chunkSize, this.rpcService.maxMessageSize);
    this.checkSize(path, (await stat(path)).size);
    const { key, size } = await hashFile(path);
    this.checkSize(path, size);
    return this.upload(key, size, () => fileChunks(path, key, size, this.chunkSize));
  }

  /** Uploads `bytes` unless the blob server has them already; refuses more than blob.max-size as uploadFile does. */
  async uploadBytes(bytes: Uint8Array): Promise<UploadedBlob> {
    checkChunkSize(this.chunkSize, this.rpcService.maxMessageSize);
    this.checkSize(`a blob of ${bytes.length} bytes`, bytes.length);
    const key = blobKeyOf(bytes);
    return this.upload(key, bytes.length, () => byteChunks(bytes, key, this.chunkSize));
  }

  /**
   * Downloads blob `key` to `destinationPath` (its directory is created). The content goes to
   * `<destinationPath>.tmp-<random>` first and is renamed onto the destination only once its
   * size and sha256 match the key, so the destination never holds a partial or wrong blob. On
   * failure the temp file is removed and the promise rejects.
   */
  async downloadTo(key: string, destinationPath: string): Promise<void> {
    checkBlobKey(key);
    const source = `the blob server at ${this.jobManagerHostPort}`;
    const temp = `${destinationPath}.tmp-${randomBytes(6).toString('hex')}`;
    let handle: FileHandle | undefined;
    try {
      const client = this.rpcService.streamClient(this.jobManagerHostPort);
      await mkdir(dirname(destinationPath), { recursive: true });
      handle = await open(temp, 'wx');
      const hash = createHash('sha256');
      let size = 0;
      let totalSize: number | undefined;
      for await (const chunk of client.serverStream<blob.BlobKeyRequest, blob.BlobChunk>(blob.BlobService.methods['download']!, { key }, this.timeoutMs)) {
        if (totalSize === undefined) {
          if (chunk.key !== key) throw new BlobIntegrityError({ key, source, expected: `a first chunk naming key ${key}`, actual: `one naming '${chunk.key}'` });
          totalSize = chunk.totalSize;
        }
        size += chunk.data.length;
        // Leaving the loop cancels the stream, so the server stops sending.
        if (size > totalSize) throw new BlobIntegrityError({ key, source, expected: `${totalSize} bytes`, actual: `more` });
        hash.update(chunk.data);
        await writeFully(handle, chunk.data);
      }
      if (totalSize === undefined) throw new BlobIntegrityError({ key, source, expected: 'a first chunk with key and size', actual: 'no chunk at all' });
      if (size !== totalSize) throw new BlobIntegrityError({ key, source, expected: `${totalSize} bytes`, actual: `${size} bytes` });
      const actual = hash.digest('hex');
      if (actual !== key) throw new BlobIntegrityError({ key, source, expected: `content with sha256 ${key}`, actual: `content with sha256 ${actual}` });
      await handle.close();
      handle = undefined;
      await rename(temp, destinationPath);
    } catch (error) {
      await handle?.close().catch(() => undefined);
      await rm(temp, { force: true });
      throw this.translate(error, 'download', key);
    }
  }

  private async upload(key: string, size: number, chunks: () => AsyncIterable<blob.BlobChunk> | Iterable<blob.BlobChunk>): Promise<UploadedBlob> {
    // One deadline for the whole upload, the question whether it is needed included.
    const deadline = Date.now() + this.timeoutMs;
    const remaining = (): number => Math.max(1, deadline - Date.now());
    try {
      const client = this.rpcService.streamClient(this.jobManagerHostPort);
      const stored = await client.unary<blob.BlobKeyRequest, blob.HasBlobResponse>(blob.BlobService.methods['has']!, { key }, remaining());
      if (stored.present) return { key, size, uploaded: false };
      const answer = await client.clientStream<blob.BlobChunk, blob.UploadBlobResponse>(blob.BlobService.methods['upload']!, chunks(), remaining());
      return { key, size: answer.size, uploaded: !answer.alreadyPresent };
    } catch (error) {
      throw this.translate(error, 'upload', key);
    }
  }

  private checkSize(what: string, size: number): void {
    if (size > this.maxSizeBytes) {
      throw new BlobTooLargeError({ what, sizeBytes: size, maxSizeBytes: this.maxSizeBytes, where: `so nothing was uploaded to the blob server at ${this.jobManagerHostPort}` });
    }
  }

  private translate(error: unknown, operation: 'upload' | 'download', key: string): unknown {
    if (error instanceof RpcTimeoutError) {
      return new BlobTransferTimeoutError({ operation, key, address: this.jobManagerHostPort, timeoutMs: this.timeoutMs }, { cause: error });
    }
    return error;
  }
}

/** The chunks of `bytes`; the first carries the key and the total size (and goes out even when empty). */
function* byteChunks(bytes: Uint8Array, key: string, chunkSize: number): Generator<blob.BlobChunk> {
  for (let offset = 0, first = true; first || offset < bytes.length; offset += chunkSize, first = false) {
    yield { key: first ? key : '', totalSize: first ? bytes.length : 0, data: bytes.subarray(offset, offset + chunkSize) };
  }
}

/** The chunks of the file at `path`, read one at a time as the stream drains. */
async function* fileChunks(path: string, key: string, size: number, chunkSize: number): AsyncGenerator<blob.BlobChunk> {
  const handle = await open(path, 'r');
  try {
    for (let offset = 0, first = true; first || offset < size; first = false) {
      const length = Math.min(chunkSize, size - offset);
      const data = Buffer.alloc(length);
      const { bytesRead } = await handle.read(data, 0, length, offset);
      if (bytesRead === 0 && length > 0) {
        throw new BlobError(`${path} shrank to ${offset} bytes while it was being uploaded as blob ${key} (${size} bytes); upload it again`);
      }
      offset += bytesRead;
      yield { key: first ? key : '', totalSize: first ? size : 0, data: data.subarray(0, bytesRead) };
    }
  } finally {
    await handle.close();
  }
}
