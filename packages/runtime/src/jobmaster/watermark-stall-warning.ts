/**
 * The JobMaster's "my window never fires" warning (issue 14, Visibility): when a vertex's input
 * watermark (the minimum over its subtasks' currentInputWatermark) has not advanced for
 * `pipeline.watermark-stall-warning` while records keep arriving at it, it logs one warning per job
 * naming the source vertex and subtask that hold event time back, and the split that subtask
 * reads when the JobMaster handed it one. The classic cause is a source split without data and a
 * WatermarkStrategy without withIdleness: its channel never sends a watermark, so every window
 * downstream waits for it.
 *
 * The culprit is found by walking upstream from the slowest subtask: each attempt reports the
 * producer whose channel holds its input watermark back (vertex and partition, the partition
 * naming the producing attempt), until a source.
 *
 * A vertex no watermark ever reached (a job without event time) is never checked. Runs on each
 * TaskManager heartbeat's metrics, so it needs no timer of its own.
 *
 * Threading: the JobMaster's main thread.
 */
import { durationOption, type Logger } from '@eddy/common';
import type { Execution, ExecutionGraph, ExecutionJobVertex } from '../executiongraph/execution-graph.js';

export const WatermarkStallOptions = {
  stallWarning: durationOption({
    key: 'pipeline.watermark-stall-warning',
    defaultMs: 60_000,
    minMs: 0,
    description:
      "How long a vertex's input watermark may stand still while records keep arriving at it before the JobMaster logs a warning (once per job) " +
      'naming the source subtask and split that hold event time back, typically a split without data whose WatermarkStrategy lacks withIdleness. 0 disables the warning.',
  }),
} as const;

/** How much of a split's text the warning quotes. */
const MAX_SPLIT_PREVIEW = 120;

interface VertexProgress {
  /** The vertex's input watermark when it last advanced, and when that was. */
  readonly watermark: number;
  readonly since: number;
  /** numRecordsIn over the vertex's subtasks at the last check, and when it last grew after `since`. */
  recordsIn: number;
  recordsAt: number;
}

export interface WatermarkHolder {
  readonly vertexId: string;
  readonly vertexName: string;
  /** 0-based, as in task logs; `task` names it as people read it: "Source (2/2)". */
  readonly subtask: number;
  readonly task: string;
  /** The split the JobMaster last handed that subtask, when it did: its id and a preview of it. */
  readonly splitId?: string;
  readonly split?: string;
}

export class WatermarkStallWarning {
  private readonly progress = new Map<string, VertexProgress>();
  /** The split each source subtask last got from the JobMaster, by `${vertexId}/${subtask}`. */
  private readonly splits = new Map<string, { readonly id: string; readonly split: string }>();
  private warned = false;

  constructor(
    private readonly graph: ExecutionGraph,
    /** 0: never warn. */
    private readonly stallMs: number,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** The JobMaster handed `split` to a source subtask (requestNextInputSplit). */
  notifySplitAssigned(vertexId: string, subtask: number, split: { readonly id: string; readonly split: string } | undefined): void {
    if (split === undefined) this.splits.delete(`${vertexId}/${subtask}`);
    else this.splits.set(`${vertexId}/${subtask}`, split);
  }

  /** Whether the warning was logged (it is logged once per job). */
  get hasWarned(): boolean {
    return this.warned;
  }

  /** Looks at the watermarks just reported; logs the warning the first time a vertex stalls. */
  check(): void {
    if (this.warned || this.stallMs <= 0 || this.graph.state !== 'RUNNING') return;
    const now = this.now();
    for (const vertex of this.graph.verticesTopologically) {
      if (vertex.inputs.length === 0) continue;
      const stalled = this.checkVertex(vertex, now);
      if (stalled === undefined) continue;
      this.warned = true;
      const holder = this.holderOf(stalled.slowest);
      this.log.warn(
        {
          vertexId: vertex.id,
          vertexName: vertex.name,
          inputWatermark: stalled.watermark,
          stalledForMs: now - stalled.since,
          heldBackBy: holder,
          option: WatermarkStallOptions.stallWarning.key,
        },
        'Event time does not advance while records arrive: a source subtask holds the watermark back (a split without data and no WatermarkStrategy.withIdleness?)',
      );
      return;
    }
  }

  /** The vertex's state after this report; its slowest subtask when it stalled. */
  private checkVertex(vertex: ExecutionJobVertex, now: number): { slowest: Execution; watermark: number; since: number } | undefined {
    let slowest: Execution | undefined;
    let watermark = Number.POSITIVE_INFINITY;
    let recordsIn = 0;
    let reported = false;
    for (const taskVertex of vertex.taskVertices) {
      const execution = taskVertex.currentExecution;
      if (execution.state !== 'RUNNING') {
        // Deploying, restarting or ending: start over once every subtask runs.
        this.progress.delete(vertex.id);
        return undefined;
      }
      recordsIn += execution.numRecordsIn;
      // A subtask no watermark reached yet is at -Infinity, behind the others.
      const current = execution.watermark?.currentInputWatermark ?? Number.NEGATIVE_INFINITY;
      if (execution.watermark !== undefined) reported = true;
      if (slowest === undefined || current < watermark) {
        slowest = execution;
        watermark = current;
      }
    }
    if (!reported || slowest === undefined || watermark === Number.POSITIVE_INFINITY) {
      this.progress.delete(vertex.id);
      return undefined;
    }
    const progress = this.progress.get(vertex.id);
    if (progress === undefined || watermark > progress.watermark) {
      this.progress.set(vertex.id, { watermark, since: now, recordsIn, recordsAt: 0 });
      return undefined;
    }
    if (recordsIn > progress.recordsIn) {
      progress.recordsIn = recordsIn;
      progress.recordsAt = now;
    }
    // Records arrived after the watermark last moved, and recently: the job works, event time does not.
    const recordsArriving = progress.recordsAt > 0 && now - progress.recordsAt < this.stallMs;
    return now - progress.since >= this.stallMs && recordsArriving ? { slowest, watermark, since: progress.since } : undefined;
  }

  /** Walks upstream along the channels that hold the watermark back, to a source subtask. */
  holderOf(execution: Execution): WatermarkHolder {
    let current = execution;
    // A path visits each vertex once at most; the bound guards against a bad report.
    for (let hops = 0; hops < this.graph.verticesTopologically.length; hops++) {
      const lagging = current.watermark;
      if (current.vertex.jobVertex.inputs.length === 0 || lagging === undefined || lagging.laggingPartitionId === '') break;
      const producerAttempt = lagging.laggingPartitionId.slice(lagging.laggingPartitionId.lastIndexOf('@') + 1);
      const producer = this.graph.findExecution(producerAttempt);
      if (producer === undefined) break;
      current = producer;
    }
    const vertex = current.vertex.jobVertex;
    const subtask = current.vertex.subtaskIndex;
    const split = vertex.inputs.length === 0 ? this.splits.get(`${vertex.id}/${subtask}`) : undefined;
    const task = current.vertex.taskNameWithSubtask;
    if (split === undefined) return { vertexId: vertex.id, vertexName: vertex.name, subtask, task };
    const preview = split.split.length > MAX_SPLIT_PREVIEW ? `${split.split.slice(0, MAX_SPLIT_PREVIEW)}…` : split.split;
    return { vertexId: vertex.id, vertexName: vertex.name, subtask, task, splitId: split.id, split: preview };
  }
}
