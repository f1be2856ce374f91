/**
 * Records per second per vertex, derived from the counters of successive job polls (Flink's UI
 * reads numRecords*PerSecond metrics; the counters give the same figure from the routes the page
 * already reads). Keeps the last HISTORY samples for the chart.
 */
import type { Series } from '../components/time-chart.js';
import type { JobVertex } from '../rest.js';

const HISTORY = 120;

interface Sample {
  readonly at: number;
  readonly counters: ReadonlyMap<string, { in?: number; out?: number }>;
}

export interface VertexRate {
  readonly in?: number;
  readonly out?: number;
}

export class RateHistory {
  private previous: Sample | undefined;
  private readonly times: number[] = [];
  private readonly rates: Map<string, VertexRate>[] = [];

  add(at: number, vertices: readonly JobVertex[]): void {
    const counters = new Map(vertices.map((v) => [v.id, { in: v.metrics?.['read-records'], out: v.metrics?.['write-records'] }]));
    const previous = this.previous;
    this.previous = { at, counters };
    if (previous === undefined || at <= previous.at) return;
    const seconds = (at - previous.at) / 1000;
    const per = (now: number | undefined, before: number | undefined) => (now === undefined || before === undefined || now < before ? undefined : (now - before) / seconds);
    const rates = new Map<string, VertexRate>();
    for (const [id, now] of counters) {
      const before = previous.counters.get(id);
      rates.set(id, { in: per(now.in, before?.in), out: per(now.out, before?.out) });
    }
    this.times.push(at / 1000);
    this.rates.push(rates);
    if (this.times.length > HISTORY) {
      this.times.shift();
      this.rates.shift();
    }
  }

  latest(vertexId: string): VertexRate | undefined {
    return this.rates.at(-1)?.get(vertexId);
  }

  /** Records out per second of each vertex over the kept samples, for the chart. */
  series(vertices: readonly JobVertex[]): { times: number[]; series: Series[] } {
    return {
      times: this.times,
      series: vertices.map((v) => ({ label: v.name.length > 40 ? `${v.name.slice(0, 39)}…` : v.name, values: this.rates.map((r) => r.get(v.id)?.out ?? null) })),
    };
  }
}
