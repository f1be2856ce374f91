/**
 * What the JobManager's REST server serves besides the API: the hook for the web dashboard (its
 * static files), registered after the API routes so it cannot shadow them. Empty for now.
 */
import type { Configuration } from '@eddy/common';
import type { RestPlugin } from './rest-app.js';

export function jobManagerRestPlugins(_configuration: Configuration): RestPlugin[] {
  return [];
}
