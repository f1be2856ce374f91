import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { silentLogger } from '@eddy/common';
import { ExecutionGraph, type Execution } from '../../src/executiongraph/execution-graph.js';
import { WatermarkStallWarning } from '../../src/jobmaster/watermark-stall-warning.js';
import { capturingLogger } from '../fixtures/capturing-logger.js';
import { ManualClock, wordCountGraph } from '../executiongraph/testing-graphs.js';

const STALL_MS = 1_000;
const MSG = 'Event time does not advance while records arrive: a source subtask holds the watermark back (a split without data and no WatermarkStrategy.withIdleness?)';

/** A running WordCount graph (Source(2) -forward-> Map(2) -hash-> Sink(1)) and a warning over it. */
function running() {
  const clock = new ManualClock(10_000);
  const { logger, lines } = capturingLogger();
  const graph = ExecutionGraph.build(wordCountGraph(), { logger: silentLogger(), now: clock.now });
  graph.transitionState('CREATED', 'RUNNING');
  for (const vertex of graph.allExecutionVertices()) for (const to of ['SCHEDULED', 'DEPLOYING', 'INITIALIZING', 'RUNNING'] as const) vertex.currentExecution.transitionState(to);
  const at = (vertexId: string, subtask: number): Execution => graph.getJobVertex(vertexId)!.taskVertices[subtask]!.currentExecution;
  const warning = new WatermarkStallWarning(graph, STALL_MS, logger, clock.now);
  const warnings = (): Record<string, unknown>[] => lines.filter((line) => line['msg'] === MSG);
  return { graph, at, clock, warning, warnings };
}

/** The partition `producer` writes, as a consumer's channel names it. */
const partitionOf = (producer: Execution): string => `result-1@${producer.attemptId}`;

/**
 * Source subtask 1 sends no watermark: Map subtask 1 (its forward consumer) stays at -Infinity and
 * so does the Sink, whose slowest channel is Map subtask 1's. Map subtask 0 advances.
 */
function reportHeldBackBySource1(at: (vertexId: string, subtask: number) => Execution, recordsIn: number, watermark: number): void {
  at('source', 0).watermark = { currentInputWatermark: watermark, laggingVertexId: '', laggingPartitionId: '' };
  at('map', 0).watermark = { currentInputWatermark: watermark, laggingVertexId: 'source', laggingPartitionId: partitionOf(at('source', 0)) };
  at('map', 1).watermark = { currentInputWatermark: Number.NEGATIVE_INFINITY, laggingVertexId: 'source', laggingPartitionId: partitionOf(at('source', 1)) };
  at('sink', 0).watermark = { currentInputWatermark: Number.NEGATIVE_INFINITY, laggingVertexId: 'map', laggingPartitionId: partitionOf(at('map', 1)) };
  at('map', 0).reportIOMetrics(recordsIn, recordsIn);
  at('sink', 0).reportIOMetrics(recordsIn, 0);
}

describe('WatermarkStallWarning', () => {
  it('warns once, when a vertex has stood still for the stall time while records arrived, naming the source subtask and its split', () => {
    const { at, clock, warning, warnings } = running();
    warning.notifySplitAssigned('source', 1, { id: '3', split: '{"subtask":1,"from":500,"to":1000}' });
    let records = 0;
    for (let t = 0; t < 5; t++) {
      reportHeldBackBySource1(at, (records += 100), 1_000 + t);
      warning.check();
      clock.advance(200);
    }
    assert.equal(warnings().length, 0, 'not before the stall time');
    for (let t = 0; t < 10; t++) {
      reportHeldBackBySource1(at, (records += 100), 2_000 + t);
      warning.check();
      clock.advance(200);
    }
    assert.equal(warnings().length, 1, 'once per job, though it still stands still');
    const [line] = warnings();
    assert.equal(line!['level'], 40);
    assert.equal(line!['vertexName'], 'Map', 'the first vertex in topological order that stalled');
    assert.equal(line!['option'], 'pipeline.watermark-stall-warning');
    assert.deepEqual(line!['heldBackBy'], { vertexId: 'source', vertexName: 'Source', subtask: 1, task: 'Source (2/2)', splitId: '3', split: '{"subtask":1,"from":500,"to":1000}' });
    assert.equal(warning.hasWarned, true);
  });

  it('follows the lagging channels upstream through a vertex to the source', () => {
    const { at, warning } = running();
    reportHeldBackBySource1(at, 100, 1_000);
    const holder = warning.holderOf(at('sink', 0));
    assert.deepEqual([holder.vertexId, holder.subtask, holder.splitId], ['source', 1, undefined]);
  });

  it('stays quiet while records stop arriving, while the watermark advances, and in a job without watermarks', () => {
    const stopped = running();
    reportHeldBackBySource1(stopped.at, 100, 1_000);
    for (let t = 0; t < 20; t++) {
      stopped.warning.check();
      stopped.clock.advance(200);
    }
    assert.equal(stopped.warnings().length, 0, 'no records arrive: nothing waits for event time');

    const advancing = running();
    for (let t = 0; t < 20; t++) {
      for (const [vertexId, subtask] of [['source', 0], ['source', 1], ['map', 0], ['map', 1], ['sink', 0]] as const) {
        advancing.at(vertexId, subtask).watermark = { currentInputWatermark: 1_000 + t * 200, laggingVertexId: '', laggingPartitionId: '' };
      }
      advancing.at('sink', 0).reportIOMetrics(t * 100, 0);
      advancing.warning.check();
      advancing.clock.advance(200);
    }
    assert.equal(advancing.warnings().length, 0, 'event time advances');

    const none = running();
    for (let t = 0; t < 20; t++) {
      none.at('sink', 0).reportIOMetrics(t * 100, 0);
      none.at('map', 1).reportIOMetrics(t * 100, 0);
      none.warning.check();
      none.clock.advance(200);
    }
    assert.equal(none.warnings().length, 0, 'no watermark ever reached a task');
  });

  it('never warns when the stall time is 0', () => {
    const { graph, at, clock } = running();
    const { logger, lines } = capturingLogger();
    const disabled = new WatermarkStallWarning(graph, 0, logger, clock.now);
    for (let t = 0; t < 20; t++) {
      reportHeldBackBySource1(at, t * 100, 1_000);
      disabled.check();
      clock.advance(1_000);
    }
    assert.equal(lines.length, 0);
  });
});
