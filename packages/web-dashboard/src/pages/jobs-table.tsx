/** The job list as the overview and the jobs page show it: running jobs first, then the newest. */
import { duration, time } from '../format.js';
import type { JobOverview } from '../rest.js';
import { Empty, StateBadge, TaskBar } from '../components/ui.js';

const ACTIVE = new Set(['INITIALIZING', 'CREATED', 'RUNNING', 'FAILING', 'RESTARTING', 'CANCELLING', 'SUSPENDED']);

export function sortJobs(jobs: readonly JobOverview[]): JobOverview[] {
  return [...jobs].sort((a, b) => Number(ACTIVE.has(b.state)) - Number(ACTIVE.has(a.state)) || b['start-time'] - a['start-time']);
}

export function JobsTable({ jobs }: { jobs: readonly JobOverview[] }) {
  if (jobs.length === 0) return <Empty>No jobs yet. Submit one with <code>eddy run `eddy run &lt;job-file&gt;`lt;job-file`eddy run &lt;job-file&gt;`gt;</code>.</Empty>;
  return (
    <table class="table jobs-table">
      <thead>
        <tr>
          <th>Job</th>
          <th>State</th>
          <th>Started</th>
          <th>Duration</th>
          <th>Tasks</th>
        </tr>
      </thead>
      <tbody>
        {sortJobs(jobs).map((job) => (
          <tr key={job.jid} data-job-id={job.jid}>
            <td>
              <a href={`#/jobs/${job.jid}`}>{job.name}</a>
              <div class="mono muted small">{job.jid}</div>
            </td>
            <td>
              <StateBadge state={job.state} />
            </td>
            <td>{time(job['start-time'])}</td>
            <td>{duration(job.duration)}</td>
            <td class="tasks-cell">
              <TaskBar counts={job.tasks} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
