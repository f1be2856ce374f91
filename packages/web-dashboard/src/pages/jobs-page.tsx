/** Every job the JobManager knows: running ones and those still in its history (jobstore.max-capacity). */
import { rest } from '../rest.js';
import { usePoll } from '../poll.js';
import { ErrorNote, Section } from '../components/ui.js';
import { JobsTable } from './jobs-table.js';

export function JobsPage() {
  const jobs = usePoll(() => rest.jobsOverview(), []);
  return (
    <div class="page jobs-page">
      <h1>Jobs</h1>
      <Section title={`Jobs${jobs.data ? ` (${jobs.data.jobs.length})` : ''}`}>
        <ErrorNote error={jobs.error} />
        {jobs.data && <JobsTable jobs={jobs.data.jobs} />}
      </Section>
    </div>
  );
}
