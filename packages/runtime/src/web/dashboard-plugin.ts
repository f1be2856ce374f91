/**
 * Mounts the web dashboard on the JobManager's REST server: a GET route per built file (`/`,
 * `/index.html`, `/assets/...`), registered after the API routes and left out of the OpenAPI
 * document. Pages are routed in the URL's fragment (#/jobs/<id>), so no page path can shadow an
 * API path, and an unknown path still gets the API's 404 in Flink's shape. The files are served
 * without the auth token (they hold no data); the API calls the page makes carry it.
 */
import type { RestPlugin } from '../rest/rest-app.js';
import { DashboardFiles } from './dashboard-files.js';

export function dashboardRestPlugin(files: DashboardFiles = DashboardFiles.load()): RestPlugin {
  return (app) => {
    for (const path of files.paths()) {
      // Open without the token: the page is what asks for it (rest-auth.ts).
      app.get(path, { schema: { hide: true }, config: { anonymous: true } }, (request, reply) => {
        const answer = files.respond(path, { 'accept-encoding': request.headers['accept-encoding'], 'if-none-match': request.headers['if-none-match'] });
        if (answer === undefined) return reply.callNotFound();
        return reply.code(answer.status).headers(answer.headers).send(answer.body);
      });
    }
  };
}
