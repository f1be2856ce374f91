/** GET /overview and GET /config: the cluster at a glance, and what the dashboard needs to know. */
import { Type } from 'typebox';
import { fetchJobs, fetchTaskManagers, type RestApp, type RestServices } from './rest-app.js';
import { ErrorResponse } from './rest-errors.js';

const ClusterOverview = Type.Object(
  {
    taskmanagers: Type.Integer(),
    'slots-total': Type.Integer(),
    'slots-available': Type.Integer(),
    'jobs-running': Type.Integer(),
    'jobs-finished': Type.Integer(),
    'jobs-cancelled': Type.Integer(),
    'jobs-failed': Type.Integer(),
  },
  { description: "Flink's ClusterOverview (without its version fields)" },
);

const DashboardConfiguration = Type.Object(
  {
    'refresh-interval': Type.Integer({ description: 'How often the dashboard refreshes, ms' }),
    'timezone-name': Type.String(),
    'timezone-offset': Type.Integer({ description: "The JobManager's offset from UTC, ms" }),
    features: Type.Object({ 'web-submit': Type.Boolean(), 'web-cancel': Type.Boolean(), 'web-rescale': Type.Boolean(), 'web-history': Type.Boolean() }),
  },
  { description: "Flink's DashboardConfiguration (without its version fields)" },
);

export function registerClusterRoutes(app: RestApp, services: RestServices): void {
  app.get(
    '/overview',
    { schema: { summary: 'TaskManagers, slots and jobs by status', response: { 200: ClusterOverview, 503: ErrorResponse } } },
    async () => {
      const [taskManagers, jobs] = await Promise.all([fetchTaskManagers(services), fetchJobs(services)]);
      const count = (status: string): number => jobs.filter((job) => job.status === status).length;
      return {
        taskmanagers: taskManagers.length,
        'slots-total': taskManagers.reduce((sum, tm) => sum + tm.slotsTotal, 0),
        'slots-available': taskManagers.reduce((sum, tm) => sum + tm.slotsFree, 0),
        'jobs-running': jobs.filter((job) => !['FINISHED', 'CANCELED', 'FAILED'].includes(job.status)).length,
        'jobs-finished': count('FINISHED'),
        'jobs-cancelled': count('CANCELED'),
        'jobs-failed': count('FAILED'),
      };
    },
  );
  app.get('/config', { schema: { summary: "The dashboard's settings", response: { 200: DashboardConfiguration } } }, () => ({
    'refresh-interval': services.refreshIntervalMs,
    'timezone-name': Intl.DateTimeFormat().resolvedOptions().timeZone,
    'timezone-offset': -new Date().getTimezoneOffset() * 60_000,
    features: { 'web-submit': false, 'web-cancel': true, 'web-rescale': false, 'web-history': false },
  }));
}
