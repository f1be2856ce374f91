/** Small building blocks shared by the pages. */
import type { ComponentChildren } from 'preact';
import { RestError } from '../rest.js';

export function StateBadge({ state }: { state: string }) {
  return <span class={`badge state-${state.toLowerCase()}`}>{state}</span>;
}

export function Section({ title, children, id, extra }: { title: string; children: ComponentChildren; id?: string; extra?: ComponentChildren }) {
  return (
    <section class="panel" id={id}>
      <header class="panel-head">
        <h2>{title}</h2>
        {extra}
      </header>
      <div class="panel-body">{children}</div>
    </section>
  );
}

export function Stat({ label, value, testId }: { label: string; value: ComponentChildren; testId?: string }) {
  return (
    <div class="stat" data-stat={testId}>
      <div class="stat-value">{value}</div>
      <div class="stat-label">{label}</div>
    </div>
  );
}

/** What a failed request means for the reader, in one line. */
export function describeError(error: unknown): string {
  if (error instanceof RestError) {
    if (error.status === 0) return `The JobManager did not answer ${error.path}; retrying every second.`;
    if (error.status === 401) return `${error.path} needs the cluster's auth token: enter it above.`;
    return error.errors.length > 0 ? `${error.path}: ${error.errors.join('; ')} (HTTP ${error.status})` : `${error.path} answered HTTP ${error.status}.`;
  }
  return error instanceof Error ? error.message : String(error);
}

export function ErrorNote({ error }: { error: unknown }) {
  if (error === undefined) return null;
  return <p class="error-note">{describeError(error)}</p>;
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

/** A task-state summary bar: one coloured part per state with tasks, as Flink's job list shows. */
export function TaskBar({ counts }: { counts: Partial<Record<string, number>> | undefined }) {
  const entries = Object.entries(counts ?? {}).filter(([state, n]) => state !== 'total' && (n ?? 0) > 0) as [string, number][];
  const total = entries.reduce((sum, [, n]) => sum + n, 0);
  if (total === 0) return <span class="muted">-</span>;
  return (
    <span class="task-bar" title={entries.map(([state, n]) => `${state}: ${n}`).join(', ')}>
      {entries.map(([state, n]) => (
        <span class={`task-part state-${state.toLowerCase()}`} style={{ flexGrow: n }} key={state}>
          {n}
        </span>
      ))}
    </span>
  );
}
