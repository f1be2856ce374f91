/**
 * CheckpointBarrierHandler: what a task with input channels does with the barriers that arrive on
 * them (Flink's CheckpointBarrierHandler: SingleCheckpointBarrierHandler when aligned,
 * CheckpointBarrierTracker when not).
 *
 * EXACTLY_ONCE (aligned): the first barrier N starts an alignment; each channel that delivered
 * barrier N is held back (its records after the barrier belong to the next checkpoint) until every
 * open channel has delivered it; then the task snapshots and every channel goes on. A channel that
 * ends counts as aligned. A newer barrier N+1 arriving while N aligns means N cannot complete any
 * more on this task: N is abandoned (the JobMaster aborts it on timeout or decline) and N+1 starts.
 * A barrier of a checkpoint already taken or abandoned here is ignored.
 *
 * AT_LEAST_ONCE (tracker): nothing is held back; the task snapshots when barrier N has come on every
 * open channel. Records that came after barrier N on a fast channel are then in the snapshot too,
 * and are processed again after a restore: at least once.
 *
 * Channels are numbered across the task's gates (see InputGates in stream-task.ts). Threading: the
 * task's event loop, called from the gates' callbacks.
 */
import type { CheckpointBarrier } from '../../network/network-buffer.js';

export interface BarrierHandlerTarget {
  /** Hold back channel `channel` (global index). */
  blockChannel(channel: number): void;
  /** Let every held channel go on. */
  unblockAllChannels(): void;
  /** Every open channel delivered barrier N: take the checkpoint now. */
  triggerCheckpointOnBarrier(barrier: CheckpointBarrier, alignmentDurationMs: number): void;
  /** Checkpoint N cannot be taken here (a newer barrier overtook it); tell the JobMaster. */
  abandonCheckpoint(checkpointId: number, reason: string): void;
}

export class CheckpointBarrierHandler {
  private readonly ended = new Set<number>();
  /** Aligned: the checkpoint being aligned, and the channels that delivered its barrier. */
  private current = -1;
  private readonly arrived = new Set<number>();
  private alignmentStartedAt = 0;
  /** Every checkpoint up to this one was taken or abandoned here. */
  private lastHandled = 0;
  /** Unaligned tracking: barriers seen per checkpoint. */
  private readonly tracked = new Map<number, { channels: Set<number>; barrier: CheckpointBarrier }>();

  constructor(
    private readonly numberOfChannels: number,
    private readonly target: BarrierHandlerTarget,
    private readonly now: () => number = Date.now,
  ) {}

  /** Checkpoint N being aligned, or -1. */
  get aligningCheckpoint(): number {
    return this.arrived.size > 0 ? this.current : -1;
  }

  onBarrier(channel: number, barrier: CheckpointBarrier): void {
    if (barrier.exactlyOnce) this.onAlignedBarrier(channel, barrier);
    else this.onTrackedBarrier(channel, barrier);
  }

  onChannelEnded(channel: number): void {
    this.ended.add(channel);
    if (this.arrived.delete(channel) || this.arrived.size > 0) this.checkAligned(undefined);
    for (const [id, entry] of this.tracked) {
      entry.channels.delete(channel);
      if (entry.channels.size >= this.openChannels() && this.openChannels() > 0) this.completeTracked(id);
    }
  }

  /** The JobMaster aborted N: stop aligning it, let the channels go. */
  onCheckpointAborted(checkpointId: number): void {
    if (checkpointId > this.lastHandled && checkpointId !== this.current) {
      // Not started here yet: its barriers, when they come, are ignored.
      this.lastHandled = Math.max(this.lastHandled, checkpointId);
      return;
    }
    if (checkpointId === this.current && this.arrived.size > 0) {
      this.arrived.clear();
      this.target.unblockAllChannels();
    }
    this.lastHandled = Math.max(this.lastHandled, checkpointId);
    this.tracked.delete(checkpointId);
  }

  private openChannels(): number {
    return this.numberOfChannels - this.ended.size;
  }

  private onAlignedBarrier(channel: number, barrier: CheckpointBarrier): void {
    const id = barrier.checkpointId;
    if (id <= this.lastHandled) return;
    if (id > this.current || this.arrived.size === 0) {
      if (this.arrived.size > 0 && id > this.current) {
        const abandoned = this.current;
        this.arrived.clear();
        this.target.unblockAllChannels();
        this.lastHandled = Math.max(this.lastHandled, abandoned);
        this.target.abandonCheckpoint(abandoned, `barrier ${id} arrived before barrier ${abandoned} had arrived on every input channel`);
      }
      this.current = id;
      this.alignmentStartedAt = this.now();
    }
    if (id < this.current) return;
    this.arrived.add(channel);
    this.target.blockChannel(channel);
    this.checkAligned(barrier);
  }

  private lastBarrier: CheckpointBarrier | undefined;

  private checkAligned(barrier: CheckpointBarrier | undefined): void {
    if (barrier !== undefined) this.lastBarrier = barrier;
    if (this.arrived.size === 0 || this.arrived.size < this.openChannels()) return;
    const aligned = this.lastBarrier as CheckpointBarrier;
    const duration = this.now() - this.alignmentStartedAt;
    this.arrived.clear();
    this.lastHandled = aligned.checkpointId;
    // Snapshot before the channels go on: what they hold belongs to the next checkpoint.
    this.target.triggerCheckpointOnBarrier(aligned, duration);
    this.target.unblockAllChannels();
  }

  private onTrackedBarrier(channel: number, barrier: CheckpointBarrier): void {
    const id = barrier.checkpointId;
    if (id <= this.lastHandled) return;
    let entry = this.tracked.get(id);
    if (entry === undefined) this.tracked.set(id, (entry = { channels: new Set(), barrier }));
    entry.channels.add(channel);
    if (entry.channels.size >= this.openChannels()) this.completeTracked(id);
  }

  private completeTracked(id: number): void {
    const entry = this.tracked.get(id);
    if (entry === undefined) return;
    this.tracked.delete(id);
    // Older checkpoints still tracked can no longer complete here.
    for (const older of [...this.tracked.keys()]) {
      if (older < id) {
        this.tracked.delete(older);
        this.target.abandonCheckpoint(older, `barrier ${id} completed before barrier ${older} had arrived on every input channel`);
      }
    }
    this.lastHandled = id;
    this.target.triggerCheckpointOnBarrier(entry.barrier, 0);
  }
}
