/** The job client's errors: what was wrong with a job file, and a JobManager that cannot be reached. */

/** Base of every error the job client raises itself. */
export abstract class JobClientError extends Error {}

/**
 * Why a job file could not become a JobGraph:
 * - not-found: the file does not exist;
 * - compile: a syntax error or an import that cannot be resolved;
 * - forbidden-import: it (or a module it imports) imports a package that runs only inside the cluster;
 * - no-default-export: it exports no default, or its default is not a function;
 * - build-failed: the code threw while it built its pipeline.
 */
export type JobFileErrorKind = 'not-found' | 'compile' | 'forbidden-import' | 'no-default-export' | 'build-failed';

/** One problem at one place of a job's source. */
export interface SourceProblem {
  /** Absolute path of the file. */
  readonly file: string;
  /** 1-based; 0 when unknown. */
  readonly line: number;
  /** 1-based; 0 when unknown. */
  readonly column: number;
  readonly message: string;
}

/** A job file that cannot be bundled, planned or run; the message says what to change. */
export class JobFileError extends JobClientError {
  override readonly name = 'JobFileError';

  constructor(
    readonly kind: JobFileErrorKind,
    /** Absolute path of the job file. */
    readonly jobFile: string,
    message: string,
    /** Each place in the source the error is about (compile and forbidden-import errors). */
    readonly problems: readonly SourceProblem[] = [],
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** No JobManager answered at the address the client was given. */
export class JobManagerUnreachableError extends JobClientError {
  override readonly name = 'JobManagerUnreachableError';

  constructor(
    /** host:port tried. */
    readonly address: string,
    /** What went wrong, in the transport's words. */
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(`Could not reach a JobManager at ${address}: ${reason}; start one with \`eddy jobmanager\`, or pass the address of a running one`, options);
  }
}

/** The JobManager knows no job with this id: it never ran there, or the job store has forgotten it. */
export class UnknownJobError extends JobClientError {
  override readonly name = 'UnknownJobError';

  constructor(
    readonly jobId: string,
    /** host:port asked. */
    readonly address: string,
    options?: ErrorOptions,
  ) {
    super(`No job ${jobId} at the JobManager at ${address}; \`eddy list --all\` shows the jobs it knows`, options);
  }
}

/** A job's event stream ended before the job reached a terminal status (the JobManager stopped or forgot the job). */
export class JobEventStreamEndedError extends JobClientError {
  override readonly name = 'JobEventStreamEndedError';

  constructor(
    readonly jobId: string,
    readonly address: string,
    /** The job's last status seen on the stream; '' when none. */
    readonly lastStatus: string,
  ) {
    const last = lastStatus === '' ? 'before any status was seen' : `while the job was ${lastStatus}`;
    super(`The JobManager at ${address} ended the event stream of job ${jobId} ${last}; it may have stopped: ask it with \`eddy list --all\` once it is back`);
  }
}
