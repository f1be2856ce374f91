/** The cluster at a glance: slots, TaskManagers, jobs by state, the job list and the TaskManagers. */
import { rest } from '../rest.js';
import { usePoll } from '../poll.js';
import { ErrorNote, Section, Stat } from '../components/ui.js';
import { JobsTable } from './jobs-table.js';
import { TaskManagersTable } from './taskmanager-page.js';

export function OverviewPage() {
  const overview = usePoll(() => rest.overview(), []);
  const jobs = usePoll(() => rest.jobsOverview(), []);
  const taskManagers = usePoll(() => rest.taskManagers(), []);
  const o = overview.data;
  return (
    <div class="page overview-page">
      <h1>Overview</h1>
      <ErrorNote error={overview.error} />
      <div class="stats">
        <Stat label="TaskManagers" value={o?.taskmanagers ?? '-'} testId="taskmanagers" />
        <Stat label="Slots total" value={o?.['slots-total'] ?? '-'} testId="slots-total" />
        <Stat label="Slots free" value={o?.['slots-available'] ?? '-'} testId="slots-available" />
        <Stat label="Running jobs" value={o?.['jobs-running'] ?? '-'} testId="jobs-running" />
        <Stat label="Finished" value={o?.['jobs-finished'] ?? '-'} testId="jobs-finished" />
        <Stat label="Cancelled" value={o?.['jobs-cancelled'] ?? '-'} testId="jobs-cancelled" />
        <Stat label="Failed" value={o?.['jobs-failed'] ?? '-'} testId="jobs-failed" />
      </div>
      <Section title="Jobs">
        <ErrorNote error={jobs.error} />
        {jobs.data && <JobsTable jobs={jobs.data.jobs} />}
      </Section>
      <Section title="TaskManagers">
        <ErrorNote error={taskManagers.error} />
        {taskManagers.data && <TaskManagersTable taskManagers={taskManagers.data.taskmanagers} />}
      </Section>
    </div>
  );
}
