/** A failure the CLI reports in its own words (what happened and what to do); the command exits 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
}
