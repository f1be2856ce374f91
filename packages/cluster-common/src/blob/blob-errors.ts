/**
 * Failures of the blob store. Transport failures stay the RpcError the RPC layer raised
 * (RpcUnreachableError, or RpcCallError carrying the server's status and message, e.g. NOT_FOUND
 * for a blob nobody uploaded), so callers can tell an unreachable JobManager from a bad blob.
 */

/** Base of every blob store failure that is not a transport failure. */
export class BlobError extends Error {
  override readonly name: string = 'BlobError';
}

/** Content that does not match its key: it hashes to another sha256, or has another size. */
export class BlobIntegrityError extends BlobError {
  override readonly name = 'BlobIntegrityError';
  constructor(
    readonly fields: { readonly key: string; readonly source: string; readonly expected: string; readonly actual: string },
  ) {
    super(`Blob ${fields.key} from ${fields.source} is corrupt: expected ${fields.expected}, got ${fields.actual}; nothing was kept`);
  }
}

/** A blob transfer missed its deadline. */
export class BlobTransferTimeoutError extends BlobError {
  override readonly name = 'BlobTransferTimeoutError';
  constructor(
    readonly fields: { readonly operation: 'upload' | 'download'; readonly key: string; readonly address: string; readonly timeoutMs: number },
    options?: ErrorOptions,
  ) {
    super(
      `The ${fields.operation} of blob ${fields.key} (${fields.address}) did not finish within ${fields.timeoutMs} ms; ` +
        'for large job code or a slow network, raise blob.transfer.timeout',
      options,
    );
  }
}
