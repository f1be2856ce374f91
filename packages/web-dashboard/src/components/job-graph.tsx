/**
 * A job's graph as a DAG, laid out by dagre (left to right, as Flink's UI draws it) and drawn as
 * SVG: one box per vertex (name, parallelism, status, records/s in and out, a backpressure colour)
 * and one arrow per edge of the plan, labelled with its partitioner.
 */
import { Graph, layout, type EdgeLabel, type GraphLabel, type NodeLabel } from '@dagrejs/dagre';
import { useMemo } from 'preact/hooks';
import { rate } from '../format.js';
import type { BackpressureLevel, JobDetails } from '../rest.js';

export interface VertexLive {
  readonly inPerSecond?: number;
  readonly outPerSecond?: number;
  readonly recordsOut?: number;
  readonly backpressure?: BackpressureLevel;
  readonly backpressureRatio?: number;
}

const NODE_WIDTH = 250;
const NODE_HEIGHT = 92;
const LINE = 17;
const NAME_CHARS = 34;

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly partitioner: string;
}

/** The plan's edges: each node's inputs, as Flink writes them (`ship_strategy` names the partitioner). */
export function edgesOf(job: JobDetails): Edge[] {
  return (job.plan?.nodes ?? []).flatMap((node) => (node.inputs ?? []).map((input) => ({ from: input.id, to: node.id, partitioner: input.ship_strategy ?? input.exchange ?? '' })));
}

/** The name in at most two lines of the box, cut at ' -> ' (chained operators) or spaces where it can. */
function nameLines(name: string): string[] {
  if (name.length <= NAME_CHARS) return [name];
  const cut = Math.max(name.lastIndexOf(' ', NAME_CHARS), 1);
  const rest = name.slice(cut).trim();
  return [name.slice(0, cut), rest.length > NAME_CHARS ? `${rest.slice(0, NAME_CHARS - 1)}…` : rest];
}

export function JobGraph({ job, live }: { job: JobDetails; live: ReadonlyMap<string, VertexLive> }) {
  // Each poll brings new objects: lay the graph out again only when its shape changed.
  const edges = edgesOf(job);
  const shapeKey = `${job.vertices.map((v) => v.id).join(',')}|${edges.map((e) => `${e.from}>${e.to}`).join(',')}`;
  const shape = useMemo(() => {
    const graph = new Graph<GraphLabel, NodeLabel, EdgeLabel>();
    graph.setGraph({ rankdir: 'LR', nodesep: 30, ranksep: 90, marginx: 16, marginy: 16 });
    graph.setDefaultEdgeLabel(() => ({}));
    for (const vertex of job.vertices) graph.setNode(vertex.id, { width: NODE_WIDTH, height: NODE_HEIGHT });
    for (const edge of edges) if (graph.hasNode(edge.from) && graph.hasNode(edge.to)) graph.setEdge(edge.from, edge.to, { width: 70, height: 18, labelpos: 'c' });
    layout(graph);
    const label = graph.graph();
    return { graph, width: label.width ?? NODE_WIDTH, height: label.height ?? NODE_HEIGHT };
  }, [shapeKey]);

  return (
    <div class="graph-scroll">
      <svg class="job-graph" width={shape.width} height={shape.height} viewBox={`0 0 ${shape.width} ${shape.height}`} role="img" aria-label="job graph">
        <defs>
          <marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" fill="#6b7a90" />
          </marker>
        </defs>
        {edges.map((edge) => {
          const laid = shape.graph.edge(edge.from, edge.to);
          if (laid === undefined) return null;
          const points = laid.points ?? [];
          const d = points.map((p, i) => `${i === 0 ? 'M' : 'L'} ${p.x} ${p.y}`).join(' ');
          return (
            <g class="edge" data-edge={`${edge.from}->${edge.to}`} data-partitioner={edge.partitioner} key={`${edge.from}->${edge.to}`}>
              <path d={d} marker-end="url(#arrow)" />
              {laid.x !== undefined && laid.y !== undefined && (
                <text x={laid.x} y={laid.y + 4} text-anchor="middle" class="edge-label">
                  {edge.partitioner}
                </text>
              )}
            </g>
          );
        })}
        {job.vertices.map((vertex) => {
          const node = shape.graph.node(vertex.id);
          if (node?.x === undefined || node.y === undefined) return null;
          const x = node.x - NODE_WIDTH / 2;
          const y = node.y - NODE_HEIGHT / 2;
          const now = live.get(vertex.id);
          const lines = nameLines(vertex.name);
          const level = now?.backpressure ?? 'unknown';
          return (
            <g
              class={`vertex bp-${level}`}
              data-vertex-id={vertex.id}
              data-records-out={now?.recordsOut ?? ''}
              key={vertex.id}
              transform={`translate(${x},${y})`}
              onClick={() => document.getElementById(`subtasks-${vertex.id}`)?.scrollIntoView({ behavior: 'smooth' })}
            >
              <title>{vertex.name}</title>
              <rect width={NODE_WIDTH} height={NODE_HEIGHT} rx="6" />
              <rect class="bp-bar" width="6" height={NODE_HEIGHT} rx="3" />
              {lines.map((text, i) => (
                <text x="14" y={20 + i * LINE} class="vertex-name" key={i}>
                  {text}
                </text>
              ))}
              <text x="14" y={20 + lines.length * LINE} class="vertex-meta">
                Parallelism {vertex.parallelism} · {vertex.status}
              </text>
              <text x="14" y={20 + (lines.length + 1) * LINE} class="vertex-meta">
                in {rate(now?.inPerSecond)} · out {rate(now?.outPerSecond)}
              </text>
              {lines.length === 1 && (
                <text x="14" y={20 + 3 * LINE} class="vertex-meta">
                  backpressure {level === 'unknown' ? '-' : `${level}${now?.backpressureRatio !== undefined ? ` (${Math.round(now.backpressureRatio * 100)}%)` : ''}`}
                </text>
              )}
            </g>
          );
        })}
      </svg>
    </div>
  );
}
