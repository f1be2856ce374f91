/**
 * One job: its graph with live rates and backpressure, records/s over time, vertices with their
 * watermarks, subtasks, checkpoints, exceptions (root cause first), the transitions log and a
 * cancel button. Everything comes from one poll a second (the job, then its vertices' details,
 * backpressure and watermarks, checkpoints and exceptions side by side); a part that fails shows
 * its error where it would be, the rest of the page keeps updating.
 */
import { useRef, useState } from 'preact/hooks';
import { bytes, count, duration, rate, time, watermark } from '../format.js';
import { rest, RestError, type Backpressure, type Checkpoints, type Exceptions, type JobDetails, type VertexDetails, type Watermarks } from '../rest.js';
import { usePoll } from '../poll.js';
import { JobGraph, type VertexLive } from '../components/job-graph.js';
import { TimeChart } from '../components/time-chart.js';
import { Empty, ErrorNote, Section, StateBadge, Stat, describeError } from '../components/ui.js';
import { RateHistory } from './rate-history.js';

type Part<T> = { ok: true; value: T } | { ok: false; error: unknown };

async function part<T>(promise: Promise<T>): Promise<Part<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    return { ok: false, error };
  }
}

interface VertexParts {
  readonly details: Part<VertexDetails>;
  readonly backpressure: Part<Backpressure>;
  readonly watermarks: Part<Watermarks>;
}

interface JobSnapshot {
  readonly job: JobDetails;
  /** When the answer came (the JobManager's `now` when it gives one): rates are per second of it. */
  readonly at: number;
  readonly vertices: ReadonlyMap<string, VertexParts>;
  readonly checkpoints: Part<Checkpoints>;
  readonly exceptions: Part<Exceptions>;
}

const TERMINAL = new Set(['FINISHED', 'CANCELED', 'FAILED']);

async function loadJob(jobId: string): Promise<JobSnapshot> {
  const job = await rest.job(jobId);
  const at = job.now ?? Date.now();
  const [vertexParts, checkpoints, exceptions] = await Promise.all([
    Promise.all(
      job.vertices.map(async (v) => {
        const [details, backpressure, watermarks] = await Promise.all([part(rest.vertex(jobId, v.id)), part(rest.backpressure(jobId, v.id)), part(rest.watermarks(jobId, v.id))]);
        return [v.id, { details, backpressure, watermarks }] as const;
      }),
    ),
    part(rest.checkpoints(jobId)),
    part(rest.exceptions(jobId)),
  ]);
  return { job, at, vertices: new Map(vertexParts), checkpoints, exceptions };
}

/** The lowest current input watermark over a vertex's subtasks (Flink's "low watermark"). */
function lowWatermark(watermarks: Watermarks | undefined): number | undefined {
  const values = (watermarks ?? []).filter((m) => m.id.endsWith('.currentInputWatermark')).map((m) => Number(m.value));
  return values.length === 0 ? undefined : Math.min(...values);
}

function subtaskWatermark(watermarks: Watermarks | undefined, subtask: number): string | undefined {
  return watermarks?.find((m) => m.id === `${subtask}.currentInputWatermark`)?.value;
}

export function JobPage({ jobId }: { jobId: string }) {
  const polled = usePoll(() => loadJob(jobId), [jobId]);
  const rates = useRef(new RateHistory());
  const seen = useRef(0);
  const snapshot = polled.data;
  if (snapshot !== undefined && polled.updates !== seen.current) {
    seen.current = polled.updates;
    rates.current.add(snapshot.at, snapshot.job.vertices);
  }

  if (polled.error instanceof RestError && polled.error.status === 400) {
    return (
      <div class="page job-page">
        <h1>Job {jobId}</h1>
        <p class="error-note">
          <strong>{jobId}</strong> is not a job id: a job id is 32 hex digits, as <code>eddy list</code> and the job list show them. <a href="#/jobs">See the jobs</a>
        </p>
      </div>
    );
  }
  if (polled.error instanceof RestError && polled.error.status === 404) {
    return (
      <div class="page job-page">
        <h1>
          Job <span class="mono">{jobId}</span>
        </h1>
        <div class="evicted" data-evicted="true">
          <p>
            <strong>The JobManager does not know this job{snapshot ? ' any more' : ''}.</strong> It keeps the last <code>jobstore.max-capacity</code> ended jobs (finished, failed or canceled);
            this one was evicted from that history (or the id is wrong, or the JobManager restarted since).
          </p>
          <p>
            <a href="#/jobs">See the jobs it knows</a>
          </p>
        </div>
      </div>
    );
  }
  if (snapshot === undefined) {
    return (
      <div class="page job-page">
        <h1>
          Job <span class="mono">{jobId}</span>
        </h1>
        {polled.error ? <ErrorNote error={polled.error} /> : <p class="muted">Loading…</p>}
      </div>
    );
  }

  const { job } = snapshot;
  const live = new Map<string, VertexLive>(
    job.vertices.map((v) => {
      const bp = snapshot.vertices.get(v.id)?.backpressure;
      const subtasks = bp?.ok ? (bp.value.subtasks ?? []) : [];
      const ratio = subtasks.length > 0 ? Math.max(...subtasks.map((s) => s.ratio ?? 0)) : undefined;
      const latest = rates.current.latest(v.id);
      return [v.id, { inPerSecond: latest?.in, outPerSecond: latest?.out, recordsOut: v.metrics?.['write-records'], backpressure: bp?.ok ? bp.value['backpressure-level'] : undefined, backpressureRatio: ratio }];
    }),
  );
  const chart = rates.current.series(job.vertices);

  return (
    <div class="page job-page" data-job-state={job.state}>
      <div class="title-row">
        <div>
          <h1>{job.name}</h1>
          <div class="mono muted">{job.jid}</div>
        </div>
        <div class="title-actions">
          <StateBadge state={job.state} />
          {!TERMINAL.has(job.state) && <CancelButton jobId={job.jid} state={job.state} />}
        </div>
      </div>
      <ErrorNote error={polled.error} />
      <div class="stats">
        <Stat label="Started" value={time(job['start-time'])} />
        <Stat label="Ended" value={time(job['end-time'])} />
        <Stat label="Duration" value={duration(job.duration)} />
        <Stat label="Vertices" value={job.vertices.length} />
        {job.maxParallelism !== undefined && <Stat label="Max parallelism" value={job.maxParallelism} />}
      </div>

      <Section title="Job graph" id="job-graph" extra={<BackpressureLegend />}>
        {job.vertices.length === 0 ? <Empty>The job has no vertices.</Empty> : <JobGraph job={job} live={live} />}
      </Section>

      <Section title="Records out per second">
        {chart.times.length < 2 ? <Empty>Rates appear after two updates.</Empty> : <TimeChart times={chart.times} series={chart.series} unit={(v) => rate(v)} />}
      </Section>

      <Section title="Vertices" id="vertices">
        <table class="table vertices-table">
          <thead>
            <tr>
              <th>Vertex</th>
              <th>Status</th>
              <th class="num">Parallelism</th>
              <th class="num">Records in</th>
              <th class="num">Records out</th>
              <th class="num">In/s</th>
              <th class="num">Out/s</th>
              <th class="num">Bytes in</th>
              <th class="num">Bytes out</th>
              <th>Backpressure</th>
              <th>Low watermark</th>
            </tr>
          </thead>
          <tbody>
            {job.vertices.map((v) => {
              const parts = snapshot.vertices.get(v.id);
              const l = live.get(v.id);
              return (
                <tr key={v.id} data-vertex-row={v.id}>
                  <td>
                    <a href={`#/jobs/${job.jid}`} onClick={(e) => (e.preventDefault(), document.getElementById(`subtasks-${v.id}`)?.scrollIntoView({ behavior: 'smooth' }))}>
                      {v.name}
                    </a>
                  </td>
                  <td>
                    <StateBadge state={v.status} />
                  </td>
                  <td class="num">{v.parallelism}</td>
                  <td class="num" data-records-in>{count(v.metrics?.['read-records'])}</td>
                  <td class="num" data-records-out>{count(v.metrics?.['write-records'])}</td>
                  <td class="num">{rate(l?.inPerSecond)}</td>
                  <td class="num">{rate(l?.outPerSecond)}</td>
                  <td class="num">{bytes(v.metrics?.['read-bytes'])}</td>
                  <td class="num">{bytes(v.metrics?.['write-bytes'])}</td>
                  <td>{l?.backpressure ? <span class={`bp-chip bp-${l.backpressure}`}>{l.backpressure}</span> : <span class="muted">{parts?.backpressure.ok === false ? 'unavailable' : '-'}</span>}</td>
                  <td data-watermark>{parts?.watermarks.ok ? watermark(lowWatermark(parts.watermarks.value)) : <span class="muted">unavailable</span>}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </Section>

      <Section title="Subtasks" id="subtasks">
        {job.vertices.map((v) => (
          <SubtasksTable key={v.id} vertexId={v.id} name={v.name} parts={snapshot.vertices.get(v.id)} />
        ))}
      </Section>

      <Section title="Checkpoints" id="checkpoints">
        {snapshot.checkpoints.ok ? <CheckpointsView checkpoints={snapshot.checkpoints.value} /> : <ErrorNote error={snapshot.checkpoints.error} />}
      </Section>

      <Section title="Exceptions" id="exceptions">
        {snapshot.exceptions.ok ? <ExceptionsView exceptions={snapshot.exceptions.value} /> : <ErrorNote error={snapshot.exceptions.error} />}
      </Section>

      <Section title="Transitions" id="transitions">
        <TransitionsView job={job} />
      </Section>
    </div>
  );
}

function BackpressureLegend() {
  return (
    <span class="legend">
      backpressure: <span class="bp-chip bp-ok">ok</span> <span class="bp-chip bp-low">low</span> <span class="bp-chip bp-high">high</span>
    </span>
  );
}

function CancelButton({ jobId, state }: { jobId: string; state: string }) {
  const [phase, setPhase] = useState<'idle' | 'confirm' | 'sent' | 'failed'>('idle');
  const [error, setError] = useState<unknown>(undefined);
  if (state === 'CANCELLING' || phase === 'sent') return <span class="muted">Cancelling…</span>;
  if (phase === 'confirm') {
    return (
      <span class="confirm">
        Cancel this job?{' '}
        <button
          class="danger"
          data-action="confirm-cancel"
          onClick={() => {
            setPhase('sent');
            rest.cancel(jobId).then(
              () => undefined,
              (e: unknown) => {
                setError(e);
                setPhase('failed');
              },
            );
          }}
        >
          Yes, cancel
        </button>{' '}
        <button onClick={() => setPhase('idle')}>No</button>
      </span>
    );
  }
  return (
    <span>
      {phase === 'failed' && <span class="error-inline">{describeError(error)} </span>}
      <button class="danger" data-action="cancel-job" onClick={() => setPhase('confirm')}>
        Cancel job
      </button>
    </span>
  );
}

function SubtasksTable({ vertexId, name, parts }: { vertexId: string; name: string; parts: VertexParts | undefined }) {
  const details = parts?.details;
  const bp = parts?.backpressure.ok ? parts.backpressure.value : undefined;
  const wm = parts?.watermarks.ok ? parts.watermarks.value : undefined;
  return (
    <div class="subtasks" id={`subtasks-${vertexId}`}>
      <h3>{name}</h3>
      {details === undefined ? null : !details.ok ? (
        <ErrorNote error={details.error} />
      ) : (
        <table class="table">
          <thead>
            <tr>
              <th class="num">#</th>
              <th>State</th>
              <th class="num">Attempt</th>
              <th>TaskManager</th>
              <th class="num">Records in</th>
              <th class="num">Records out</th>
              <th class="num">Bytes in</th>
              <th class="num">Bytes out</th>
              <th class="num">Backpressured</th>
              <th>Input watermark</th>
              <th class="num">Duration</th>
            </tr>
          </thead>
          <tbody>
            {details.value.subtasks.map((s) => {
              const sbp = bp?.subtasks?.find((x) => x.subtask === s.subtask);
              const tm = s['taskmanager-id'];
              return (
                <tr key={s.subtask} data-subtask={s.subtask}>
                  <td class="num">{s.subtask}</td>
                  <td>
                    <StateBadge state={s.status} />
                  </td>
                  <td class="num">{s.attempt ?? '-'}</td>
                  <td class="mono small">{tm ? <a href={`#/taskmanagers/${encodeURIComponent(tm)}`}>{s.endpoint ?? tm}</a> : (s.endpoint ?? s.host ?? '-')}</td>
                  <td class="num">{count(s.metrics?.['read-records'])}</td>
                  <td class="num">{count(s.metrics?.['write-records'])}</td>
                  <td class="num">{bytes(s.metrics?.['read-bytes'])}</td>
                  <td class="num">{bytes(s.metrics?.['write-bytes'])}</td>
                  <td class="num">{sbp?.ratio === undefined ? '-' : <span class={`bp-chip bp-${sbp['backpressure-level'] ?? 'ok'}`}>{Math.round(sbp.ratio * 100)}%</span>}</td>
                  <td>{wm === undefined ? '-' : watermark(subtaskWatermark(wm, s.subtask))}</td>
                  <td class="num">{duration(s.duration)}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}

function CheckpointsView({ checkpoints }: { checkpoints: Checkpoints }) {
  const counts = checkpoints.counts ?? {};
  const completed = checkpoints.latest?.completed;
  const restored = checkpoints.latest?.restored;
  const history = checkpoints.history ?? [];
  return (
    <>
      <div class="stats">
        <Stat label="Triggered" value={counts.total ?? 0} testId="checkpoints-total" />
        <Stat label="In progress" value={counts.in_progress ?? 0} />
        <Stat label="Completed" value={counts.completed ?? 0} testId="checkpoints-completed" />
        <Stat label="Failed" value={counts.failed ?? 0} />
        <Stat label="Restored" value={counts.restored ?? 0} />
      </div>
      {completed && (
        <p>
          Latest completed: <strong>#{completed.id}</strong> at {time(completed.latest_ack_timestamp)}, {duration(completed.end_to_end_duration)}, {bytes(completed.state_size)}
          {completed.external_path ? (
            <>
              {' '}
              in <code>{completed.external_path}</code>
            </>
          ) : null}
        </p>
      )}
      {restored && (
        <p>
          Restored from #{restored.id} at {time(restored.restore_timestamp)}
          {restored.external_path ? (
            <>
              {' '}
              (<code>{restored.external_path}</code>)
            </>
          ) : null}
        </p>
      )}
      {history.length === 0 ? (
        <Empty>No checkpoint yet (checkpointing is off unless the job or execution.checkpointing.interval turns it on).</Empty>
      ) : (
        <table class="table checkpoints-table">
          <thead>
            <tr>
              <th class="num">ID</th>
              <th>Status</th>
              <th>Type</th>
              <th>Triggered</th>
              <th class="num">Duration</th>
              <th class="num">State size</th>
              <th class="num">Checkpointed</th>
              <th class="num">Alignment buffered</th>
              <th class="num">Acknowledged</th>
            </tr>
          </thead>
          <tbody>
            {history.map((c) => (
              <tr key={c.id} data-checkpoint-id={c.id} title={c.failure_message ?? c.external_path ?? ''}>
                <td class="num">{c.id}</td>
                <td>
                  <StateBadge state={c.status} />
                </td>
                <td>{c.is_savepoint ? 'savepoint' : (c.checkpoint_type ?? 'checkpoint').toLowerCase().replace(/_/g, ' ')}</td>
                <td>{time(c.trigger_timestamp)}</td>
                <td class="num">{duration(c.end_to_end_duration)}</td>
                <td class="num">{bytes(c.state_size)}</td>
                <td class="num">{bytes(c.checkpointed_size)}</td>
                <td class="num">{bytes(c.alignment_buffered)}</td>
                <td class="num">
                  {c.num_acknowledged_subtasks ?? '-'}/{c.num_subtasks ?? '-'}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

function ExceptionsView({ exceptions }: { exceptions: Exceptions }) {
  const entries = exceptions.exceptionHistory?.entries ?? [];
  const root = exceptions['root-exception'];
  if (!root && entries.length === 0) return <Empty>No exception: the job has not failed.</Empty>;
  return (
    <div class="exceptions">
      {root && (
        <div class="root-cause" data-root-cause>
          <h3>Root cause {exceptions.timestamp ? <span class="muted small">at {time(exceptions.timestamp)}</span> : null}</h3>
          <pre>{root}</pre>
        </div>
      )}
      {entries.length > 0 && <h3>History{exceptions.exceptionHistory?.truncated ? ' (truncated)' : ''}</h3>}
      {entries.map((entry, i) => (
        <details class="exception" key={i} open={i === 0 && !root}>
          <summary>
            <strong>{entry.exceptionName ?? 'Exception'}</strong> {entry.taskName ? <>in {entry.taskName}</> : null} {entry.endpoint ? <span class="mono small">on {entry.endpoint}</span> : null}{' '}
            <span class="muted small">{time(entry.timestamp)}</span>
          </summary>
          <pre>{entry.stacktrace}</pre>
          {(entry.concurrentExceptions ?? []).map((c, j) => (
            <pre class="concurrent" key={j}>
              {c.taskName ? `${c.taskName}: ` : ''}
              {c.stacktrace ?? c.exceptionName}
            </pre>
          ))}
        </details>
      ))}
    </div>
  );
}

/**
 * The job's status transitions, oldest first, from the time Flink's job details give each status
 * (`timestamps`): the last time it entered each one, so a status entered twice (RUNNING again
 * after a restart) appears once, at its latest time.
 */
function TransitionsView({ job }: { job: JobDetails }) {
  const entries = Object.entries(job.timestamps ?? {})
    .filter((entry): entry is [string, number] => typeof entry[1] === 'number' && entry[1] > 0)
    .sort((a, b) => a[1] - b[1]);
  if (entries.length === 0) return <Empty>No transition recorded.</Empty>;
  return (
    <>
      <table class="table narrow transitions">
        <thead>
          <tr>
            <th>Status</th>
            <th>Last entered</th>
            <th class="num">After start</th>
          </tr>
        </thead>
        <tbody>
          {entries.map(([state, at]) => (
            <tr key={state} data-transition={state}>
              <td>
                <StateBadge state={state} />
              </td>
              <td class="mono">{time(at)}</td>
              <td class="num">{duration(at - entries[0]![1])}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="muted small">Each status at the last time the job entered it; every task's transitions are in the JobManager's log.</p>
    </>
  );
}
