/**
 * What the JobManager's REST server serves besides the API: the web dashboard (its static files,
 * packages/web-dashboard built by `npm run build`), registered after the API routes so it cannot
 * shadow them.
 */
import type { Configuration } from '@eddy/common';
import { dashboardRestPlugin } from '../web/dashboard-plugin.js';
import type { RestPlugin } from './rest-app.js';

export function jobManagerRestPlugins(_configuration: Configuration): RestPlugin[] {
  return [dashboardRestPlugin()];
}
