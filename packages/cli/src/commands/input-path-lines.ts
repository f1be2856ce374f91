/**
 * What `eddy run` says about a job's relative input paths before it submits the job: which file the
 * TaskManagers will read (the client made the path absolute), or that each TaskManager resolves it
 * in its own working directory (no such file where the client runs). See withResolvedInputPaths.
 */
import { inputPathNotes } from '@eddy/client';

export function inputPathLines(vertices: readonly { readonly name: string; readonly inputSplits: readonly string[] }[], cwd: string = process.cwd()): string[] {
  return inputPathNotes(vertices).map((note) =>
    note.resolved === undefined
      ? `Input file '${note.given}' of ${note.vertexName} is not in ${cwd}: each TaskManager reads it relative to its own working directory`
      : `Input file '${note.given}' of ${note.vertexName} is read as ${note.resolved} (a relative path is resolved in the working directory of eddy run)`,
  );
}
