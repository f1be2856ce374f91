/**
 * Temp directories that name the process that owns them, so that the next process of the same kind
 * can remove those whose owner is gone: a JobManager's blob store (`eddy-blobs-*`), a TaskManager's
 * blob cache (`eddy-blob-cache-*`) and the client's job bundles (`eddy-job-*`) are removed by their
 * owner when it stops, but a process killed with SIGKILL leaves its directory behind.
 *
 * Name: `<prefix><pid>-<start time>-<random>`, the start time being field 22 of /proc/<pid>/stat
 * (clock ticks since boot), so a pid used again by a later process does not keep a dead owner's
 * directory alive. Without /proc (macOS), the start time is `x` and the owner counts as alive
 * while a process with its pid exists (`kill(pid, 0)`), reused or not: a directory may then stay,
 * but one of a live process is never removed.
 *
 * Processes that share a temp directory are assumed to share a pid namespace (true on one host;
 * containers have their own /tmp). Directories named the older way (`<prefix><random>`, no pid)
 * are left alone: nothing tells whether their owner still runs.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The start time of process `pid` as /proc gives it, `undefined` when it has no entry there, `null` without /proc. */
export function processStartTime(pid: number): string | undefined | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) is in parentheses and may hold spaces or parentheses itself: count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ?? null;
  } catch {
    return procAvailable() ? undefined : null;
  }
}

let procChecked: boolean | undefined;
function procAvailable(): boolean {
  if (procChecked === undefined) {
    try {
      readFileSync('/proc/self/stat', 'utf8');
      procChecked = true;
    } catch {
      procChecked = false;
    }
  }
  return procChecked;
}

/** `<pid>-<start time>-` of this process, the part of a directory name that names its owner. */
function ownerTag(): string {
  return `${process.pid}-${processStartTime(process.pid) ?? 'x'}-`;
}

/** Creates `<temp dir>/<prefix><pid>-<start time>-<random>`, owned by this process. */
export function createOwnedTempDirSync(prefix: string, parent: string = tmpdir()): string {
  return mkdtempSync(join(parent, `${prefix}${ownerTag()}`));
}

/** Creates `<temp dir>/<prefix><pid>-<start time>-<random>`, owned by this process. */
export function createOwnedTempDir(prefix: string, parent: string = tmpdir()): Promise<string> {
  return mkdtemp(join(parent, `${prefix}${ownerTag()}`));
}

/** Whether the process that created a directory named with `pid` and `startTime` still runs. */
export function isOwnerAlive(pid: number, startTime: string): boolean {
  const current = processStartTime(pid);
  if (current === null || startTime === 'x') {
    try {
      process.kill(pid, 0);
      return true;
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  return current === startTime;
}

/**
 * Removes the directories `<prefix><pid>-<start time>-<random>` in `parent` (the temp directory by
 * default) whose owner process is gone; resolves to the paths removed. Never one of a live process,
 * and nothing named otherwise. A directory that cannot be removed is skipped.
 */
export async function removeStaleTempDirs(prefix: string, parent: string = tmpdir()): Promise<string[]> {
  const pattern = new RegExp(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(\\d+)-(\\d+|x)-[A-Za-z0-9]{6}$`);
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = pattern.exec(name);
    if (match === null || isOwnerAlive(Number(match[1]), match[2]!)) continue;
    const path = join(parent, name);
    try {
      await rm(path, { recursive: true, force: true });
      removed.push(path);
    } catch {
      // Another process of the same kind may be removing it right now; the next start tries again.
    }
  }
  return removed;
}
