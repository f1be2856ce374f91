/** Configuration options of tasks, read by the TaskExecutor when it starts a TaskThread. */
import { durationOption } from '@eddy/common';

export const TaskOptions = {
  cancellationTimeout: durationOption({
    key: 'task.cancellation.timeout',
    defaultMs: 180_000,
    minMs: 1,
    description:
      "How long a canceled task may take to end before its worker thread is terminated and the task reported CANCELED (Flink's task cancellation watchdog, with Flink's default of 3 min). " +
      'It stops user code that ignores the cancel (a loop that never returns, a call that never settles), and its slot becomes free. ' +
      'A task whose thread still runs after it ended (task code left timers or sockets open) is terminated after this or 5 s, whichever is shorter.',
  }),
} as const;

/** Longest a thread may outlive the end of its task (timers or sockets left open) before it is terminated. */
export const MAX_LINGER_MS = 5_000;
