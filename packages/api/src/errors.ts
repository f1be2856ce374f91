/** Base of the API's errors; `name` carries the class name across threads and processes. */
export class EddyApiError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The pipeline a job's main built cannot run (no sink, duplicate uid, forward between different parallelisms, ...). */
export class JobDefinitionError extends EddyApiError {}

/** A task rebuilt the job's pipeline and got a different graph than the one submitted. */
export class JobGraphMismatchError extends EddyApiError {
  constructor(
    message: string,
    readonly differences: readonly string[],
  ) {
    super(message);
  }
}
