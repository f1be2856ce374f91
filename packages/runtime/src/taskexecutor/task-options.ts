/** Configuration options of tasks, read by the TaskExecutor when it starts a TaskThread. */
import { durationOption } from '@eddy/common';

export const TaskOptions = {
  cancellationTimeout: durationOption({
    key: 'task.cancellation.timeout',
    defaultMs: 5_000,
    description:
      'How long a canceled task may take to return before its thread is terminated and the task reported CANCELED. ' +
      "Flink's default is 3 min, but a worker thread is cheap to kill.",
  }),
} as const;
