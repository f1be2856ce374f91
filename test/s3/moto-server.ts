/**
 * A real S3-compatible server for tests: moto (`python -m moto.server`, from PyPI) on 127.0.0.1 at
 * a free port, installed by scripts/install-moto.sh into a cache directory when it is missing
 * (.ci/run installs it first). With `auth`, moto checks every request's credentials
 * (INITIAL_NO_AUTH_ACTION_COUNT=0): no key is known, so every request is refused as a wrong one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { CreateBucketCommand, DeleteObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { freePort, killOnSigterm, waitFor } from '../cluster/cluster-harness.js';

// The SDK line the runtime pins runs on Node 20; its notice about later lines is noise here.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

const INSTALL_SCRIPT = fileURLToPath(new URL('../../../scripts/install-moto.sh', import.meta.url));

/** Credentials moto accepts without auth (it accepts any); tests pass them as s3.access-key and s3.secret-key. */
export const MOTO_ACCESS_KEY = 'eddy-test-access-key';
export const MOTO_SECRET_KEY = 'eddy-test-secret-key';

export interface MotoServer {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  /** An SDK client for the test's own looks into the store. */
  readonly client: S3Client;
  /** The s3.* options that point Eddy at this server. */
  readonly config: Record<string, string>;
  createBucket(name: string): Promise<void>;
  /** The keys under `prefix`, sorted. */
  listKeys(bucket: string, prefix: string): Promise<string[]>;
  deleteObject(bucket: string, key: string): Promise<void>;
  stop(): Promise<void>;
}

/** The python of moto's virtual environment, installing it first when needed (about a minute). */
function motoPython(): string {
  const result = spawnSync('bash', [INSTALL_SCRIPT], { encoding: 'utf8', timeout: 10 * 60_000, stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0) throw new Error(`scripts/install-moto.sh failed (exit ${result.status ?? result.signal}): ${result.stderr.trim() || result.error?.message}`);
  return result.stdout.trim().split('\n').at(-1) as string;
}

/**
 * Starts moto; resolves once it answers HTTP. The caller stops it (an after() hook of its describe
 * block); a test file that is killed takes it along (killOnSigterm).
 */
export async function startMotoServer(options: { auth?: boolean } = {}): Promise<MotoServer> {
  const python = motoPython();
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (options.auth === true) env['INITIAL_NO_AUTH_ACTION_COUNT'] = '0';
  const child: ChildProcess = spawn(python, ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'], env });
  const stderr: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (text: string) => stderr.push(text));
  let exited = false;
  const exit = new Promise<void>((resolve) => child.once('exit', () => ((exited = true), resolve())));
  killOnSigterm(() => child.kill('SIGKILL'));
  let client: S3Client | undefined;
  const stop = async (): Promise<void> => {
    client?.destroy();
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exit;
    clearTimeout(timer);
  };
  await waitFor(
    async () => {
      if (exited) throw new Error(`moto exited before it answered on ${endpoint}: ${stderr.join('').slice(-2000)}`);
      return fetch(endpoint, { signal: AbortSignal.timeout(2_000) }).then(
        () => true,
        () => false,
      );
    },
    `moto to answer on ${endpoint}`,
    60_000,
    100,
  );
  client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: MOTO_ACCESS_KEY, secretAccessKey: MOTO_SECRET_KEY },
    maxAttempts: 3,
  });
  return {
    endpoint,
    client,
    config: { 's3.endpoint': endpoint, 's3.path.style.access': 'true', 's3.access-key': MOTO_ACCESS_KEY, 's3.secret-key': MOTO_SECRET_KEY },
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }), { abortSignal: AbortSignal.timeout(10_000) });
    },
    async listKeys(bucket, prefix) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }), { abortSignal: AbortSignal.timeout(10_000) });
        for (const object of listed.Contents ?? []) if (object.Key !== undefined) keys.push(object.Key);
        token = listed.IsTruncated === true ? listed.NextContinuationToken : undefined;
      } while (token !== undefined);
      return keys.sort();
    },
    async deleteObject(bucket, key) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: AbortSignal.timeout(10_000) });
    },
    stop,
  };
}
