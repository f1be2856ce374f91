/**
 * What `eddy run` and `eddy info` make of -p, -D and the job arguments: one code path, so that
 * `eddy info` shows the plan `eddy run` submits (the same parallelism, the same job configuration).
 */
import { InvalidArgumentError } from 'commander';
import { COMMAND_LINE_SOURCE, type Configuration } from '@eddy/common';
import type { SubmitJobOptions } from '@eddy/client';
import { AuthOptions, UPPER_BOUND_MAX_PARALLELISM } from '@eddy/runtime';

/** The flags of run and info that shape the JobGraph. */
export interface JobShapeFlags {
  readonly parallelism?: number;
  readonly name?: string;
  readonly detached?: boolean;
}

/** Parses -p: a whole number from 1 to the upper bound of max parallelism. */
export function parseParallelism(value: string): number {
  const parallelism = Number(value);
  if (!/^\d+$/.test(value.trim()) || parallelism < 1 || parallelism > UPPER_BOUND_MAX_PARALLELISM) {
    throw new InvalidArgumentError(`expected a whole number from 1 to ${UPPER_BOUND_MAX_PARALLELISM}, for example -p 4`);
  }
  return parallelism;
}

/**
 * -D flags become the job's configuration too (the config file and EDDY_PROPERTIES configure the
 * client only), except the auth token: it is the client's credential, and a job's configuration is
 * shown by the REST API and written into savepoints.
 */
export function commandLineEntries(configuration: Configuration): Record<string, string> {
  const entries: Record<string, string> = {};
  for (const key of configuration.keys()) {
    if (key === AuthOptions.token.key) continue;
    const value = configuration.getRaw(key);
    if (value !== undefined && configuration.sourceOf(key) === COMMAND_LINE_SOURCE) entries[key] = value;
  }
  return entries;
}

/** The options prepareJobFile gets from run's and info's flags. */
export function submitOptionsFrom(jobArgs: readonly string[], flags: JobShapeFlags, configuration: Configuration): SubmitJobOptions {
  return {
    args: jobArgs,
    ...(flags.name === undefined ? {} : { jobName: flags.name }),
    ...(flags.parallelism === undefined ? {} : { parallelism: flags.parallelism }),
    configuration: commandLineEntries(configuration),
    ...(flags.detached === undefined ? {} : { detached: flags.detached }),
  };
}
