/**
 * State files as objects of an S3-compatible store, through the AWS SDK v3. The SDK is loaded on
 * the first call, so a task or JobMaster that never sees an `s3://` path does not pay for it.
 *
 * Atomic `_metadata`: one PutObject is atomic on S3 (readers see the old object, none, or the
 * whole new one). State files stream through lib-storage's Upload: one PutObject when small, a
 * multipart upload of 5 MiB parts when large, so a large state never sits whole in memory.
 *
 * Deadlines and retries: each request has s3.request-timeout; the SDK retries what may pass (5xx,
 * throttling, network errors) up to s3.attempts.maximum times with its jittered exponential
 * backoff, and each failed attempt it will retry is logged with what it waits for. Every call
 * also carries an abort signal for the whole of it, retries included.
 *
 * Errors name what to fix: a missing bucket, refused credentials (the options to set), never a
 * secret. Lifecycle: close() waits for the calls in progress, then ends the client's connections.
 */
import { PassThrough } from 'node:stream';
import type { DeleteObjectsCommandOutput, GetObjectCommandOutput, ListMultipartUploadsCommandOutput, ListObjectsV2CommandOutput, S3Client } from '@aws-sdk/client-s3';
import type { S3Settings } from './s3-options.js';
import { S3Options } from './s3-options.js';
import { StateFileNotFoundError, StateStorageError, type StateFileOutput, type StateFileSystem } from './state-file-system.js';

/** The warn() of a pino logger, or what a task thread logs through. */
export interface StateFileSystemLogger {
  warn(fields: Record<string, unknown>, message: string): void;
}

type Sdk = typeof import('@aws-sdk/client-s3');
type Storage = typeof import('@aws-sdk/lib-storage');

/** Largest gap the SDK's standard retry strategy waits (20 s), for the deadline of a whole call. */
const MAX_BACKOFF_MS = 20_000;
const PART_SIZE_BYTES = 5 * 1024 * 1024;

export interface S3Location {
  readonly bucket: string;
  readonly key: string;
}

/** `s3://bucket/a/b` as bucket and key (`a/b`); rejects a path without a bucket. */
export function parseS3Path(path: string): S3Location {
  const match = /^s3[an]?:\/\/([^/]*)\/?(.*)$/i.exec(path);
  if (match === null || match[1] === '') throw new StateStorageError(`'${path}' names no bucket; an S3 location looks like s3://bucket/path`);
  return { bucket: match[1] as string, key: (match[2] as string).replace(/\/+$/, '') };
}

export class S3StateFileSystem implements StateFileSystem {
  private loaded: Promise<{ sdk: Sdk; storage: Storage; client: S3Client }> | undefined;
  private readonly pending = new Set<Promise<unknown>>();
  private closed = false;

  constructor(
    private readonly settings: S3Settings,
    private readonly logger: StateFileSystemLogger,
  ) {}

  describe(): string {
    return `S3 at ${this.endpointText()}`;
  }

  createOutput(path: string): Promise<StateFileOutput> {
    return this.op(async () => {
      const { bucket, key } = parseS3Path(path);
      const { storage, client } = await this.load();
      const body = new PassThrough({ highWaterMark: 1024 * 1024 });
      const upload = new storage.Upload({ client, params: { Bucket: bucket, Key: key, Body: body }, partSize: PART_SIZE_BYTES, queueSize: 2, leavePartsOnError: false });
      const done = upload.done().then(
        () => undefined,
        (error: unknown) => {
          throw this.explain(error, 'upload', bucket, key);
        },
      );
      return new S3StateFileOutput(path, body, upload, this.track(done), () => this.abortMultipartUploads(bucket, key));
    });
  }

  readFile(path: string): Promise<Uint8Array> {
    return this.op(async () => {
      const { bucket, key } = parseS3Path(path);
      const { sdk } = await this.load();
      try {
        const response = await this.send<GetObjectCommandOutput>(new sdk.GetObjectCommand({ Bucket: bucket, Key: key }));
        if (response.Body === undefined) throw new Error('the answer has no body');
        return await response.Body.transformToByteArray();
      } catch (error) {
        if (errorName(error) === 'NoSuchKey' || errorName(error) === 'NotFound') throw new StateFileNotFoundError(path);
        throw this.explain(error, 'GetObject', bucket, key);
      }
    });
  }

  isDirectory(path: string): Promise<boolean> {
    return this.op(async () => {
      const { bucket, key } = parseS3Path(path);
      const { sdk } = await this.load();
      try {
        const listed = await this.send<ListObjectsV2CommandOutput>(new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: key === '' ? '' : `${key}/`, MaxKeys: 1 }));
        return (listed.KeyCount ?? 0) > 0;
      } catch (error) {
        throw this.explain(error, 'ListObjectsV2', bucket, key);
      }
    });
  }

  delete(path: string): Promise<void> {
    return this.op(async () => {
      const { bucket, key } = parseS3Path(path);
      const { sdk } = await this.load();
      try {
        await this.send(new sdk.DeleteObjectCommand({ Bucket: bucket, Key: key }));
      } catch (error) {
        throw this.explain(error, 'DeleteObject', bucket, key);
      }
    });
  }

  deleteDirectory(directory: string): Promise<void> {
    return this.op(async () => {
      const { bucket, key } = parseS3Path(directory);
      const { sdk } = await this.load();
      const prefix = key === '' ? '' : `${key}/`;
      try {
        let token: string | undefined;
        do {
          const listed = await this.send<ListObjectsV2CommandOutput>(new sdk.ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
          const keys = (listed.Contents ?? []).flatMap((object) => (object.Key === undefined ? [] : [{ Key: object.Key }]));
          if (keys.length > 0) {
            const deleted = await this.send<DeleteObjectsCommandOutput>(new sdk.DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys, Quiet: true } }));
            const failed = deleted.Errors ?? [];
            if (failed.length > 0) throw new Error(`${failed.length} object(s) could not be deleted, e.g. ${failed[0]?.Key ?? '?'}: ${failed[0]?.Code ?? ''} ${failed[0]?.Message ?? ''}`);
          }
          token = listed.IsTruncated === true ? listed.NextContinuationToken : undefined;
        } while (token !== undefined);
      } catch (error) {
        if (errorName(error) === 'NoSuchBucket') return;
        throw this.explain(error, 'delete of the prefix', bucket, prefix);
      }
    });
  }

  deleteDirectoryIfEmpty(): Promise<void> {
    return Promise.resolve();
  }

  writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
    return this.op(async () => {
      const { bucket, key } = parseS3Path(path);
      const { sdk } = await this.load();
      try {
        await this.send(new sdk.PutObjectCommand({ Bucket: bucket, Key: key, Body: bytes, ContentLength: bytes.byteLength }));
      } catch (error) {
        throw this.explain(error, 'PutObject', bucket, key);
      }
    });
  }

  /**
   * Aborts the multipart uploads of `key` still open. Upload.abort() alone may leave one behind
   * when it comes while the upload is being created; an open one keeps its parts (and costs).
   */
  private abortMultipartUploads(bucket: string, key: string): Promise<void> {
    return this.op(async () => {
      const { sdk } = await this.load();
      try {
        const listed = await this.send<ListMultipartUploadsCommandOutput>(new sdk.ListMultipartUploadsCommand({ Bucket: bucket, Prefix: key }));
        for (const upload of listed.Uploads ?? []) {
          if (upload.Key === key && upload.UploadId !== undefined) await this.send(new sdk.AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: upload.UploadId }));
        }
      } catch (error) {
        throw this.explain(error, 'AbortMultipartUpload', bucket, key);
      }
    });
  }

  prepareDirectory(directory: string): Promise<void> {
    return this.checkStore(directory);
  }

  checkStore(directory: string): Promise<void> {
    return this.op(async () => {
      const { bucket, key } = parseS3Path(directory);
      const { sdk } = await this.load();
      try {
        await this.send(new sdk.HeadBucketCommand({ Bucket: bucket }));
      } catch (error) {
        throw this.explain(error, 'HeadBucket', bucket, key);
      }
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    let timer: NodeJS.Timeout | undefined;
    const gaveUp = new Promise<'gave up'>((resolve) => (timer = setTimeout(() => resolve('gave up'), this.callDeadlineMs())));
    // A call started before close() may start another (an upload's parts): wait for those too.
    while (this.pending.size > 0) {
      if ((await Promise.race([Promise.allSettled([...this.pending]), gaveUp])) === 'gave up') {
        this.logger.warn({ endpoint: this.endpointText(), calls: this.pending.size }, 'Closing the S3 client with calls still in progress after their deadline');
        break;
      }
    }
    clearTimeout(timer);
    const loaded = this.loaded;
    this.loaded = undefined;
    if (loaded !== undefined) (await loaded.catch(() => undefined))?.client.destroy();
  }

  private load(): Promise<{ sdk: Sdk; storage: Storage; client: S3Client }> {
    this.loaded ??= (async () => {
      // The pinned SDK line runs on Node 20; its warning that later lines will need Node 22 would
      // be printed once by every task thread.
      process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
      const [sdk, storage] = await Promise.all([import('@aws-sdk/client-s3'), import('@aws-sdk/lib-storage')]);
      const { settings } = this;
      const client = new sdk.S3Client({
        ...(settings.endpoint === '' ? {} : { endpoint: settings.endpoint }),
        region: this.region(),
        forcePathStyle: settings.pathStyleAccess,
        ...(settings.accessKey === '' ? {} : { credentials: { accessKeyId: settings.accessKey, secretAccessKey: settings.secretKey } }),
        maxAttempts: settings.maxAttempts,
        retryMode: 'standard',
        // requestTimeout only warns unless throwOnRequestTimeout; it runs until the answer's headers,
        // socketTimeout then bounds a stalled download of a large state file.
        requestHandler: {
          requestTimeout: settings.requestTimeoutMs,
          throwOnRequestTimeout: true,
          socketTimeout: settings.requestTimeoutMs,
          connectionTimeout: Math.min(settings.requestTimeoutMs, 10_000),
        },
        // S3-compatible stores (older MinIO, Ceph, test servers) do not all know the newer checksums.
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
      const logRetries = (next: (args: unknown) => Promise<unknown>, context: Record<string, unknown>) => async (args: unknown) => {
        const attempt = ((context['eddyAttempt'] as number | undefined) ?? 0) + 1;
        context['eddyAttempt'] = attempt;
        try {
          return await next(args);
        } catch (error) {
          if (attempt < settings.maxAttempts && mayPass(error)) {
            const input = (args as { input?: { Bucket?: string; Key?: string } }).input;
            this.logger.warn(
              { operation: context['commandName'], endpoint: this.endpointText(), bucket: input?.Bucket, key: input?.Key, attempt, maxAttempts: settings.maxAttempts, reason: errorText(error) },
              'An S3 request failed; waiting a jittered backoff before the AWS SDK retries it',
            );
          }
          throw error;
        }
      };
      client.middlewareStack.addRelativeTo(logRetries as never, { relation: 'after', toMiddleware: 'retryMiddleware', name: 'eddyRetryLogMiddleware' });
      return { sdk, storage, client };
    })();
    return this.loaded;
  }

  /** One SDK call, tracked for close(), abandoned after its whole deadline. */
  private async send<Output = unknown>(command: object): Promise<Output> {
    const { client } = await this.load();
    return (await client.send(command as never, { abortSignal: AbortSignal.timeout(this.callDeadlineMs()) as never })) as Output;
  }

  /** One public call: refused once closed, tracked until it settles so close() waits for it. */
  private op<T>(call: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new Error('the S3 file system is closed'));
    return this.track(call());
  }

  private track<T>(promise: Promise<T>): Promise<T> {
    this.pending.add(promise);
    const untrack = (): void => void this.pending.delete(promise);
    promise.then(untrack, untrack);
    return promise;
  }

  /** The whole of one call: every attempt's timeout and the longest backoffs between them. */
  private callDeadlineMs(): number {
    return (this.settings.requestTimeoutMs + MAX_BACKOFF_MS) * this.settings.maxAttempts;
  }

  private region(): string {
    return this.settings.region || process.env['AWS_REGION'] || process.env['AWS_DEFAULT_REGION'] || 'us-east-1';
  }

  private endpointText(): string {
    return this.settings.endpoint === '' ? `AWS (region ${this.region()})` : this.settings.endpoint;
  }

  /** An SDK error as one that says what failed and what to change; nothing secret. */
  private explain(error: unknown, operation: string, bucket: string, key: string): Error {
    if (error instanceof StateStorageError || error instanceof StateFileNotFoundError) return error;
    const name = errorName(error);
    const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
    const where = this.endpointText();
    const credentials =
      this.settings.accessKey === ''
        ? `the AWS SDK's default credential chain found credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ~/.aws, a role); set ${S3Options.accessKey.key} and ${S3Options.secretKey.key} or fix those`
        : `fix ${S3Options.accessKey.key} and ${S3Options.secretKey.key}`;
    if (name === 'NoSuchBucket' || (operation === 'HeadBucket' && (name === 'NotFound' || status === 404))) {
      return new StateStorageError(`bucket '${bucket}' does not exist at ${where}; create it or fix state.checkpoints.dir`, { cause: error });
    }
    if (name === 'InvalidAccessKeyId' || name === 'InvalidClientTokenId' || name === 'SignatureDoesNotMatch' || name === 'ExpiredToken' || name === 'InvalidToken') {
      return new StateStorageError(`S3 at ${where} refused the credentials for bucket '${bucket}' (${name}); ${credentials}`, { cause: error });
    }
    if (name === 'CredentialsProviderError') {
      return new StateStorageError(`no credentials for S3 at ${where}: set ${S3Options.accessKey.key} and ${S3Options.secretKey.key}, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY`, { cause: error });
    }
    if (name === 'AccessDenied' || status === 403) {
      return new StateStorageError(
        `S3 at ${where} denied ${operation} on bucket '${bucket}' (${name || 'HTTP 403'}): the credentials are wrong or may not use this bucket; ${credentials}`,
        { cause: error },
      );
    }
    const target = key === '' ? `s3://${bucket}` : `s3://${bucket}/${key}`;
    if (name === 'AbortError' || name === 'TimeoutError') {
      return new StateStorageError(
        `S3 ${operation} of ${target} at ${where} timed out (${errorText(error)}; each attempt may take ${S3Options.requestTimeout.key} = ${this.settings.requestTimeoutMs} ms, ` +
          `${this.settings.maxAttempts} attempts); check the endpoint, or raise ${S3Options.requestTimeout.key}`,
        { cause: error },
      );
    }
    return new StateStorageError(`S3 ${operation} of ${target} at ${where} failed: ${errorText(error)}`, { cause: error });
  }
}

class S3StateFileOutput implements StateFileOutput {
  private failure: unknown;
  private ended = false;

  constructor(
    readonly path: string,
    private readonly body: PassThrough,
    private readonly upload: { abort(): Promise<void> },
    private readonly done: Promise<void>,
    private readonly abortOpenUploads: () => Promise<void>,
  ) {
    done.catch((error: unknown) => {
      this.failure = error;
      body.destroy();
    });
  }

  async write(chunk: Uint8Array): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (this.ended) throw new Error(`the state file ${this.path} is closed`);
    if (this.body.write(chunk)) return;
    // Backpressure: wait for the upload to take what is buffered, or fail.
    await new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        this.done.catch(() => undefined);
        resolve();
      };
      this.body.once('drain', onDrain);
      this.done.then(
        () => undefined,
        (error: unknown) => {
          this.body.off('drain', onDrain);
          reject(error as Error);
        },
      );
    });
  }

  async close(): Promise<void> {
    if (!this.ended) {
      this.ended = true;
      this.body.end();
    }
    await this.done;
  }

  async abandon(): Promise<void> {
    this.ended = true;
    await this.upload.abort().catch(() => undefined);
    this.body.destroy();
    await this.done.catch(() => undefined);
    await this.abortOpenUploads().catch(() => undefined);
  }
}

function errorName(error: unknown): string {
  return typeof error === 'object' && error !== null && typeof (error as { name?: unknown }).name === 'string' ? (error as { name: string }).name : '';
}

function errorText(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.message === '' || error.message === 'UnknownError' ? error.name : `${error.name}: ${error.message}`;
}

/** A failure a retry may get past: a 5xx or 429 answer, or no answer at all. */
function mayPass(error: unknown): boolean {
  const status = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return status === undefined || status >= 500 || status === 429;
}
