export type { Invokable, TaskContext, TaskOperator } from './taskexecutor/task-context.js';
export * from './taskexecutor/task-messages.js';
export { TaskOptions } from './taskexecutor/task-options.js';
export { TaskThread, type TaskThreadCallbacks, type TaskThreadOptions } from './taskexecutor/task-thread.js';
