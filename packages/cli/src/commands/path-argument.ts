/** A path the JobManager can use: relative paths resolved from this command's directory (the JobManager cannot know it), URIs as given. */
import { resolve } from 'node:path';

export function pathForJobManager(path: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(path) ? path : resolve(path);
}
