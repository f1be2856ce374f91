/** A submitted JobGraph that cannot run; `reasons` holds every problem found, not just the first. */
export class InvalidJobGraphError extends Error {
  override readonly name = 'InvalidJobGraphError';

  constructor(
    readonly jobId: string,
    readonly jobName: string,
    readonly reasons: readonly string[],
  ) {
    super(InvalidJobGraphError.describe(jobId, jobName, reasons));
  }

  /** One line, so it reads well in a log field and in a gRPC status detail. */
  private static describe(jobId: string, jobName: string, reasons: readonly string[]): string {
    const prefix = `JobGraph '${jobName}' (${jobId}) is invalid`;
    if (reasons.length === 1) return `${prefix}: ${reasons[0]}`;
    return `${prefix} (${reasons.length} problems): ${reasons.map((r, i) => `(${i + 1}) ${r}`).join('; ')}`;
  }
}
