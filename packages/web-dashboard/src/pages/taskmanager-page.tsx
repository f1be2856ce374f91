/** TaskManagers: the list, and one TaskManager's slots, hardware and resource use over time. */
import { useRef } from 'preact/hooks';
import { bytes, count, duration, time } from '../format.js';
import { rest, RestError, type TaskManagerDetails, type TaskManagerSummary } from '../rest.js';
import { usePoll } from '../poll.js';
import { Empty, ErrorNote, Section, Stat } from '../components/ui.js';
import { TimeChart } from '../components/time-chart.js';

export function TaskManagersTable({ taskManagers }: { taskManagers: readonly TaskManagerSummary[] }) {
  if (taskManagers.length === 0) return <Empty>No TaskManager is registered. Start one with <code>eddy taskmanager --jobmanager &lt;host:port&gt;</code>.</Empty>;
  return (
    <table class="table">
      <thead>
        <tr>
          <th>TaskManager</th>
          <th>Address</th>
          <th class="num">Slots</th>
          <th class="num">Free slots</th>
          <th class="num">Last heartbeat</th>
          <th class="num">Event-loop lag</th>
        </tr>
      </thead>
      <tbody>
        {taskManagers.map((tm) => (
          <tr key={tm.id} data-taskmanager-id={tm.id}>
            <td>
              <a href={`#/taskmanagers/${encodeURIComponent(tm.id)}`} class="mono">
                {tm.id}
              </a>
            </td>
            <td class="mono small">{tm.path ?? '-'}</td>
            <td class="num">{tm.slotsNumber}</td>
            <td class="num">{tm.freeSlots}</td>
            <td class="num">{tm.timeSinceLastHeartbeat === undefined ? '-' : `${duration(Date.now() - tm.timeSinceLastHeartbeat)} ago`}</td>
            <td class="num">{lag(tm.eventLoopLagMs)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function TaskManagersPage() {
  const taskManagers = usePoll(() => rest.taskManagers(), []);
  return (
    <div class="page">
      <h1>TaskManagers</h1>
      <Section title="TaskManagers">
        <ErrorNote error={taskManagers.error} />
        {taskManagers.data && <TaskManagersTable taskManagers={taskManagers.data.taskmanagers} />}
      </Section>
    </div>
  );
}

/** Metric values written as sizes when their name says they are one. */
function metricValue(name: string, value: unknown): string {
  if (typeof value !== 'number') return typeof value === 'string' ? value : JSON.stringify(value);
  if (/heap|memory|bytes|direct|mapped|rss/i.test(name) && !/count|segments/i.test(name)) return bytes(value);
  if (/(ms|lag|time)$/i.test(name)) return `${count(value)} ms`;
  return count(value);
}

const HISTORY = 120;

function lag(ms: number | undefined): string {
  return ms === undefined ? '-' : `${ms < 10 ? ms.toFixed(1) : Math.round(ms)} ms`;
}

function numeric(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

export function TaskManagerPage({ id }: { id: string }) {
  const tm = usePoll(() => rest.taskManager(id), [id]);
  const history = useRef<{ times: number[]; lag: (number | null)[]; heap: (number | null)[] }>({ times: [], lag: [], heap: [] });
  const data: TaskManagerDetails | undefined = tm.data;
  const seen = useRef(0);
  if (data !== undefined && tm.updates !== seen.current) {
    seen.current = tm.updates;
    const h = history.current;
    h.times.push(Date.now() / 1000);
    h.lag.push(numeric(data.eventLoopLagMs));
    h.heap.push(numeric(data.metrics?.['heapUsed']));
    if (h.times.length > HISTORY) for (const series of [h.times, h.lag, h.heap]) series.shift();
  }
  if (tm.error instanceof RestError && tm.error.status === 404) {
    return (
      <div class="page">
        <h1>TaskManager {id}</h1>
        <p class="evicted">This TaskManager is not registered with the JobManager: it stopped, or was declared lost after missing its heartbeats.</p>
      </div>
    );
  }
  const metrics = Object.entries(data?.metrics ?? {}).filter(([, v]) => typeof v === 'number' || typeof v === 'string');
  const h = history.current;
  return (
    <div class="page taskmanager-page">
      <h1>
        TaskManager <span class="mono">{id}</span>
      </h1>
      <ErrorNote error={tm.error} />
      {data && (
        <>
          <div class="stats">
            <Stat label="Slots" value={data.slotsNumber} testId="tm-slots" />
            <Stat label="Free slots" value={data.freeSlots} testId="tm-free-slots" />
            <Stat label="Event-loop lag" value={lag(data.eventLoopLagMs)} testId="tm-lag" />
            <Stat label="Last heartbeat" value={data.timeSinceLastHeartbeat === undefined ? '-' : `${duration(Date.now() - data.timeSinceLastHeartbeat)} ago`} />
            <Stat label="Registered" value={time(data.registeredAt)} />
          </div>
          <Section title="Slots">
            <p>
              {data.slotsNumber - data.freeSlots} of {data.slotsNumber} slots in use{data.path ? <> · <span class="mono">{data.path}</span></> : null}
            </p>
            {(data.allocatedSlots ?? []).length > 0 && (
              <table class="table narrow">
                <thead>
                  <tr>
                    <th class="num">Slot</th>
                    <th>Job</th>
                  </tr>
                </thead>
                <tbody>
                  {(data.allocatedSlots ?? []).map((slot, i) => (
                    <tr key={slot.index ?? i} data-slot={slot.index ?? i}>
                      <td class="num">{slot.index ?? i}</td>
                      <td class="mono">{slot.jobId ? <a href={`#/jobs/${slot.jobId}`}>{slot.jobId}</a> : '-'}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>
          <Section title="Resource use">
            {h.times.length < 2 ? (
              <Empty>The chart starts after two updates.</Empty>
            ) : (
              <>
                <TimeChart times={h.times} series={[{ label: 'event-loop lag', values: h.lag }]} unit={(v) => lag(v)} height={140} />
                {h.heap.some((v) => v !== null) && <TimeChart times={h.times} series={[{ label: 'heap used', values: h.heap }]} unit={(v) => bytes(v)} height={140} />}
              </>
            )}
            {metrics.length > 0 && (
              <table class="table kv">
                <tbody>
                  {metrics.map(([name, value]) => (
                    <tr key={name} data-metric={name}>
                      <th>{name}</th>
                      <td class="num">{metricValue(name, value)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </Section>
        </>
      )}
    </div>
  );
}
