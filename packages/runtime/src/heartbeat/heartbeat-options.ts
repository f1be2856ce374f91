/**
 * Configuration options of heartbeats between the JobManager's components and the TaskManagers.
 * Keys and defaults follow Flink (`HeartbeatManagerOptions`).
 */
import { ConfigurationError, durationOption, integerOption, type Configuration } from '@eddy/common';

export const HeartbeatOptions = {
  interval: durationOption({
    key: 'heartbeat.interval',
    defaultMs: 1_000,
    minMs: 10,
    description:
      'How often a heartbeat is sent to each monitored target (TaskManagers, JobMasters, the ResourceManager). Must be below heartbeat.timeout.',
  }),
  timeout: durationOption({
    key: 'heartbeat.timeout',
    defaultMs: 10_000,
    description:
      'How long a target may stay silent (no answer to a heartbeat and no heartbeat from it) before it is considered lost. ' +
      'This is what detects a target that is cut off or stalled; a target whose process died is usually noticed sooner, ' +
      'through heartbeat.rpc-failure-threshold. Raise it if long pauses (GC, a blocked event loop) make healthy TaskManagers look lost.',
  }),
  rpcFailureThreshold: integerOption({
    key: 'heartbeat.rpc-failure-threshold',
    defaultValue: 2,
    min: -1,
    description:
      'Number of consecutive heartbeat RPCs that fail because the target cannot be reached (connection refused, reset or closed) ' +
      'after which the target counts as lost at once, without waiting for heartbeat.timeout. A process that died is then noticed ' +
      'within about one heartbeat.interval plus a few hundred milliseconds. -1 turns this off, so only heartbeat.timeout applies.',
  }),
} as const;

/** Heartbeat options read and checked against each other, in milliseconds. */
export interface HeartbeatSettings {
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Consecutive unreachable failures that mark a target as lost; -1 when turned off. */
  readonly rpcFailureThreshold: number;
}

/**
 * Reads the heartbeat options. Throws a ConfigurationError when a value does not parse, when
 * heartbeat.timeout is not above heartbeat.interval, or when heartbeat.rpc-failure-threshold is 0.
 */
export function heartbeatSettings(configuration: Configuration): HeartbeatSettings {
  const intervalMs = configuration.get(HeartbeatOptions.interval);
  const timeoutMs = configuration.get(HeartbeatOptions.timeout);
  const rpcFailureThreshold = configuration.get(HeartbeatOptions.rpcFailureThreshold);
  const problems: ConfigurationError[] = [];
  if (timeoutMs <= intervalMs) {
    problems.push(
      new ConfigurationError(
        `Invalid heartbeat settings: ${HeartbeatOptions.timeout.key} (${HeartbeatOptions.timeout.format(timeoutMs)}, ` +
          `from ${configuration.sourceOf(HeartbeatOptions.timeout.key)}) must be greater than ${HeartbeatOptions.interval.key} ` +
          `(${HeartbeatOptions.interval.format(intervalMs)}, from ${configuration.sourceOf(HeartbeatOptions.interval.key)}); ` +
          'raise the timeout or lower the interval',
        { key: HeartbeatOptions.timeout.key },
      ),
    );
  }
  if (rpcFailureThreshold === 0) {
    problems.push(
      ConfigurationError.invalidValue(
        HeartbeatOptions.rpcFailureThreshold.key,
        '0',
        configuration.sourceOf(HeartbeatOptions.rpcFailureThreshold.key),
        'a whole number of at least 1, or -1 to turn the check off',
      ),
    );
  }
  if (problems.length > 0) throw ConfigurationError.combine(problems);
  return { intervalMs, timeoutMs, rpcFailureThreshold };
}
