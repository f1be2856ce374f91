/**
 * An endpoint's mailbox: a FIFO of tasks run one at a time, each to completion of its synchronous
 * part, in the order they were enqueued.
 *
 * Tasks are drained in a microtask, so a task enqueued from inside another endpoint's handler runs
 * only after that handler has reached its first `await` (or returned): enqueueing never re-enters
 * the caller. After a long run of tasks the drain yields to the event loop, so a task that keeps
 * enqueueing work cannot starve network I/O.
 */

/** Tasks run per drain before the mailbox lets I/O callbacks in. */
const TASKS_PER_DRAIN = 1024;

export type MailboxTask = () => void;

export class Mailbox {
  private queue: (MailboxTask | undefined)[] = [];
  private head = 0;
  private scheduled = false;
  private draining = false;

  /**
   * @param onTaskError receives what a task throws; tasks are expected to handle their own errors,
   *   so this is a last resort that keeps the mailbox running.
   */
  constructor(private readonly onTaskError: (error: unknown) => void) {}

  get size(): number {
    return this.queue.length - this.head;
  }

  /** Runs the task after every task enqueued before it, never inside the caller's stack. */
  enqueue(task: MailboxTask): void {
    this.queue.push(task);
    if (!this.scheduled && !this.draining) {
      this.scheduled = true;
      queueMicrotask(this.drain);
    }
  }

  /**
   * Runs the task now when nothing is queued or running, else enqueues it. Only for callers at the
   * bottom of the stack (network callbacks): order is kept either way.
   */
  runOrEnqueue(task: MailboxTask): void {
    if (this.draining || this.scheduled || this.size > 0) {
      this.enqueue(task);
      return;
    }
    this.draining = true;
    try {
      task();
    } catch (error) {
      this.onTaskError(error);
    } finally {
      this.draining = false;
    }
    if (this.size > 0 && !this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.drain);
    }
  }

  private readonly drain = (): void => {
    this.scheduled = false;
    this.draining = true;
    let ran = 0;
    try {
      while (this.head < this.queue.length) {
        const task = this.queue[this.head];
        this.queue[this.head++] = undefined;
        try {
          task?.();
        } catch (error) {
          this.onTaskError(error);
        }
        if (++ran >= TASKS_PER_DRAIN && this.head < this.queue.length) {
          this.scheduled = true;
          setImmediate(this.drain);
          break;
        }
      }
    } finally {
      this.draining = false;
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      }
    }
  };
}
