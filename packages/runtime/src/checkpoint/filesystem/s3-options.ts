/**
 * Options of the S3 file system that `s3://` checkpoint directories use, with the keys Flink's S3
 * file systems take (`s3.endpoint`, `s3.path.style.access`, `s3.access-key`, `s3.secret-key`).
 * The JobManager reads them from its configuration with the job's over it; a TaskManager from its
 * own with the job's over it (as the network options), so keep credentials in the cluster's
 * configuration or the environment, not in a job.
 */
import { booleanOption, durationOption, integerOption, stringOption, type Configuration } from '@eddy/common/config';

export const S3Options = {
  endpoint: stringOption({
    key: 's3.endpoint',
    defaultValue: '',
    description:
      'URL of the S3-compatible service (MinIO, Ceph, a test server), e.g. `http://127.0.0.1:9000`. Empty (the default): AWS S3 of s3.endpoint.region.',
  }),
  region: stringOption({
    key: 's3.endpoint.region',
    defaultValue: '',
    description: "Region of the bucket; empty: the AWS SDK's (AWS_REGION, the profile), else us-east-1. Most S3-compatible services ignore it.",
  }),
  pathStyleAccess: booleanOption({
    key: 's3.path.style.access',
    defaultValue: false,
    description: 'Address buckets as `<endpoint>/<bucket>/<key>` instead of `<bucket>.<endpoint>/<key>`; most S3-compatible services need true.',
  }),
  accessKey: stringOption({
    key: 's3.access-key',
    defaultValue: '',
    description:
      "Access key id for S3. Empty (the default): the AWS SDK's default credential chain (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, ~/.aws, " +
      'instance or container roles). Set it with s3.secret-key in the cluster configuration, not in a job.',
  }),
  secretKey: stringOption({
    key: 's3.secret-key',
    defaultValue: '',
    description: 'Secret access key that goes with s3.access-key. It is never logged nor put in an error message.',
  }),
  requestTimeout: durationOption({
    key: 's3.request-timeout',
    defaultMs: 30_000,
    minMs: 100,
    description:
      'Deadline of one attempt of an S3 request until the store answers (sending the body included), and the longest a connection may sit idle while ' +
      'a large state file downloads. A call, retries included, is abandoned after s3.attempts.maximum times this and the backoffs between them.',
  }),
  maxAttempts: integerOption({
    key: 's3.attempts.maximum',
    defaultValue: 5,
    min: 1,
    description:
      "Attempts of one S3 request that failed for a reason that may pass (a 5xx answer, throttling, a network error); the AWS SDK waits a jittered, growing backoff between them and each retry is logged. Wrong credentials or a missing bucket are not retried.",
  }),
} as const;

/** The S3 options resolved, as plain data (it goes to task threads in their workerData). */
export interface S3Settings {
  readonly endpoint: string;
  readonly region: string;
  readonly pathStyleAccess: boolean;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly requestTimeoutMs: number;
  readonly maxAttempts: number;
}

export function s3Settings(configuration: Configuration): S3Settings {
  return {
    endpoint: configuration.get(S3Options.endpoint).trim(),
    region: configuration.get(S3Options.region).trim(),
    pathStyleAccess: configuration.get(S3Options.pathStyleAccess),
    accessKey: configuration.get(S3Options.accessKey).trim(),
    secretKey: configuration.get(S3Options.secretKey).trim(),
    requestTimeoutMs: configuration.get(S3Options.requestTimeout),
    maxAttempts: configuration.get(S3Options.maxAttempts),
  };
}

/** A task's S3 settings: the job's configuration over the TaskManager's (see resolveNetworkTaskSettings). */
export function resolveTaskS3Settings(taskManagerConfiguration: Configuration, jobConfiguration: Readonly<Record<string, string>>): S3Settings {
  const fromJob: Record<string, string> = {};
  for (const option of Object.values(S3Options)) {
    const value = jobConfiguration[option.key];
    if (value !== undefined) fromJob[option.key] = value;
  }
  return s3Settings(taskManagerConfiguration.withOverrides(fromJob, 'job configuration'));
}
