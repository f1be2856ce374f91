/**
 * What bounds a task's worker thread: its JavaScript heap, from the TaskManager's
 * `taskmanager.memory.task.heap.size` split over its slots (Flink gives tasks one JVM heap; a
 * worker per task gets a share of its own, so a task that leaks fails alone), and the error a task
 * fails with when it outgrows it.
 */
import type { Configuration } from '@eddy/common';
import { formatMemorySize } from '@eddy/common';
import { TaskManagerOptions } from './taskmanager-options.js';
import type { ErrorInfo } from './task-messages.js';

const MIB = 1024 * 1024;
/** Least heap a task's worker gets, however many slots share the TaskManager's task heap. */
export const MIN_TASK_HEAP_MB = 32;

export interface TaskWorkerLimits {
  /** The worker's `resourceLimits.maxOldGenerationSizeMb`. */
  readonly heapLimitMb: number;
  /** The TaskManager's task heap and slots it was derived from, for messages. */
  readonly taskHeapBytes: number;
  readonly slots: number;
}

export function taskWorkerLimits(configuration: Configuration): TaskWorkerLimits {
  const taskHeapBytes = configuration.get(TaskManagerOptions.taskHeapSize);
  const slots = configuration.get(TaskManagerOptions.numberOfTaskSlots);
  return { heapLimitMb: Math.max(MIN_TASK_HEAP_MB, Math.floor(taskHeapBytes / slots / MIB)), taskHeapBytes, slots };
}

/** Node's error code when a worker is stopped for reaching its resourceLimits. */
export const WORKER_OUT_OF_MEMORY = 'ERR_WORKER_OUT_OF_MEMORY';

export function isWorkerOutOfMemory(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === WORKER_OUT_OF_MEMORY;
}

const HEAP_LIMIT_EXCEEDED = 'TaskHeapLimitExceededError';

/** What a task that outgrew its heap fails with. */
export function heapLimitExceeded(limits: TaskWorkerLimits, location: string): ErrorInfo {
  const message =
    `task heap limit of ${limits.heapLimitMb} MB exceeded; raise ${TaskManagerOptions.taskHeapSize.key} ` +
    `(${formatMemorySize(limits.taskHeapBytes)} on this TaskManager, split over its ${limits.slots} slot${limits.slots === 1 ? '' : 's'})`;
  return { name: HEAP_LIMIT_EXCEEDED, message, stack: `${HEAP_LIMIT_EXCEEDED}: ${message}`, location };
}

/**
 * Whether a task failed by outgrowing its heap (heapLimitExceeded): never part of a cancel, so it
 * is reported FAILED even while the task is being canceled. It is often why the job is failing over
 * (its consumers' lost channels reach the JobMaster first), and the JobMaster takes it as the root
 * cause then, and as CANCELED otherwise.
 */
export function isHeapLimitExceeded(error: { readonly name: string } | undefined): boolean {
  return error?.name === HEAP_LIMIT_EXCEEDED;
}
