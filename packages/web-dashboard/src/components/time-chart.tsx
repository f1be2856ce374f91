/** A small time series drawn by uPlot: created once, fed new data on each poll, destroyed on unmount. */
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

/** hh:mm:ss of a uPlot time (seconds since the epoch). */
function clock(seconds: number): string {
  const date = new Date(seconds * 1000);
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((n) => String(n).padStart(2, '0')).join(':');
}

const COLOURS = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2', '#4b5563'];

export interface Series {
  readonly label: string;
  /** One value per time of `times`; null where there was none. */
  readonly values: readonly (number | null)[];
}

export function TimeChart({ times, series, unit, height = 160 }: { times: readonly number[]; series: readonly Series[]; unit: (value: number) => string; height?: number }) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const labels = series.map((s) => s.label).join('\u0000');

  useEffect(() => {
    const element = host.current;
    if (element === null) return;
    const width = Math.max(element.clientWidth, 300);
    const options: uPlot.Options = {
      width,
      height,
      legend: { show: true },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.15 : 1] } },
      axes: [{ stroke: '#6b7a90', space: 70, incrs: [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600], values: (_u, ticks) => ticks.map(clock) }, { stroke: '#6b7a90', size: 70, values: (_u, ticks) => ticks.map(unit) }],
      series: [{}, ...series.map((s, i) => ({ label: s.label, stroke: COLOURS[i % COLOURS.length], width: 1.5, value: (_u: uPlot, v: number | null) => (v === null ? '-' : unit(v)) }))],
    };
    plot.current = new uPlot(options, [[...times], ...series.map((s) => [...s.values])] as uPlot.AlignedData, element);
    const resize = () => plot.current?.setSize({ width: Math.max(element.clientWidth, 300), height });
    window.addEventListener('resize', resize);
    return () => {
      window.removeEventListener('resize', resize);
      plot.current?.destroy();
      plot.current = null;
    };
  }, [labels, height]);

  useEffect(() => {
    plot.current?.setData([[...times], ...series.map((s) => [...s.values])] as uPlot.AlignedData);
  });

  return <div class="time-chart" ref={host} />;
}
