/**
 * Kafka client properties (Flink's and the Java client's keys) as @platformatic/kafka options.
 * Every call the connector makes has a deadline: `request.timeout.ms` per request, and a bounded
 * number of retries with a growing, jittered delay.
 */
import type { BaseOptions } from '@platformatic/kafka';

export const BOOTSTRAP_SERVERS = 'bootstrap.servers';
export const CLIENT_ID_PREFIX = 'client.id.prefix';
export const REQUEST_TIMEOUT_MS = 'request.timeout.ms';
export const RETRIES = 'retries';
export const PARTITION_DISCOVERY_INTERVAL_MS = 'partition.discovery.interval.ms';
export const TRANSACTION_TIMEOUT_MS = 'transaction.timeout.ms';
export const COMMIT_OFFSETS_ON_CHECKPOINT = 'commit.offsets.on.checkpoint';
export const ISOLATION_LEVEL = 'isolation.level';

const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_RETRIES = 5;

export function clientOptions(properties: ReadonlyMap<string, string>, clientId: string): BaseOptions {
  const servers = bootstrapServers(properties);
  const retries = wholeProperty(properties, RETRIES, DEFAULT_RETRIES);
  return {
    clientId,
    bootstrapBrokers: servers,
    timeout: wholeProperty(properties, REQUEST_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS),
    connectTimeout: Math.min(10_000, wholeProperty(properties, REQUEST_TIMEOUT_MS, DEFAULT_REQUEST_TIMEOUT_MS)),
    retries,
    // Jittered, growing: 100 ms, 200 ms, ... up to 2 s.
    retryDelay: (_client: object, _operation: string, attempt: number) => Math.min(2_000, 100 * 2 ** Math.max(0, attempt - 1)) * (0.5 + Math.random() / 2),
    autocreateTopics: false,
  };
}

export function bootstrapServers(properties: ReadonlyMap<string, string>): string[] {
  const value = properties.get(BOOTSTRAP_SERVERS);
  if (value === undefined || value.trim() === '') throw new Error('the Kafka connector needs bootstrap servers: call setBootstrapServers("host:9092")');
  return value.split(',').map((server) => server.trim()).filter((server) => server.length > 0);
}

export function wholeProperty(properties: ReadonlyMap<string, string>, key: string, fallback: number): number {
  const value = properties.get(key);
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isSafeInteger(parsed) || parsed < 0) throw new RangeError(`the Kafka property ${key} must be a whole number of at least 0, got '${value}'`);
  return parsed;
}

/**
 * The message of an error with its causes (the client wraps errors in MultipleErrors, several
 * levels deep: "Producing messages failed" > "produce failed 3 times" > a response error > the
 * Kafka error), each Kafka error with its name (PRODUCER_FENCED, ...).
 */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 8; depth++) {
    const e = current as { message?: unknown; errors?: unknown[]; cause?: unknown; apiId?: unknown };
    if (typeof e.message === 'string' && e.message.length > 0) parts.push(typeof e.apiId === 'string' ? `${e.apiId} (${e.message})` : e.message);
    current = Array.isArray(e.errors) && e.errors.length > 0 ? e.errors[e.errors.length - 1] : e.cause;
  }
  return parts.length === 0 ? String(error) : [...new Set(parts)].join(': ');
}
